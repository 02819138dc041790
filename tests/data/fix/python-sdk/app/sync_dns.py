"""Keeps the A record of www in step with the load balancer."""
import CloudFlare
import os


def main():
    cf = CloudFlare.CloudFlare(email=os.environ["CF_API_EMAIL"], key=os.environ["CF_API_KEY"])
    zones = cf.zones.get(params={"name": "example.com"})
    print(len(zones))


if __name__ == "__main__":
    main()
