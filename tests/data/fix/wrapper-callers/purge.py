import os
import sys

from zoneclient import ZoneClient

ZoneClient(os.environ["PURGE_CF_EMAIL"], os.environ["PURGE_CF_KEY"]).purge(sys.argv[1])
