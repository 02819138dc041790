import os
import sys

from zoneclient import ZoneClient

ZoneClient(os.environ["AUDIT_CF_EMAIL"], os.environ["AUDIT_CF_KEY"]).purge(sys.argv[1])
