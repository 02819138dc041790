"""cache-purger: purges the URLs a release changed."""
