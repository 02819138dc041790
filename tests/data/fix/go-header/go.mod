module example.com/ddns

go 1.19
