variable "cloudflare_email" {
  description = "E-mail address of the Cloudflare account"
  type        = string
}

variable "cloudflare_api_key" {
  description = "Cloudflare Global API Key for that account"
  type        = string
  sensitive   = true
}

variable "zone_id" {
  type = string
}
