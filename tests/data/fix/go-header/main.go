package main

import (
	"fmt"
	"net/http"
	"strings"
)

const api = "https://api.cloudflare.com/client/v4"

func main() {
	body := strings.NewReader(`{"type":"A","name":"home","content":"203.0.113.7"}`)
	req, err := http.NewRequest("PUT", api+"/zones/z/dns_records/r", body)
	if err != nil {
		panic(err)
	}
	req.Header.Set("X-Auth-Key", "24831fae9386fad198100484e97caa947868e")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Status)
}
