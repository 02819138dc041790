"""zone-audit: flags DNS records that point outside our address space."""

__version__ = "0.3.1"
