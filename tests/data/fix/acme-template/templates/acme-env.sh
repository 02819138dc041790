#!/bin/sh
# Rendered by the provisioning tool: {{KEY}} and {{EMAIL}} are filled from its secret store.
export CF_Key={{KEY}}
export CF_Email={{EMAIL}}
export CF_Account_ID=0a4e3b7c9d2f18e6a5b4c3d2e1f0a9b8
