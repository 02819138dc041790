<?php

namespace Example\Failover;

use Cloudflare\API\Adapter\Guzzle;
use Cloudflare\API\Auth\APIKey;
use Cloudflare\API\Endpoints\DNS;

final class Failover
{
    public function dns(): DNS
    {
        $key = new APIKey(getenv('CF_API_EMAIL'), getenv('CF_API_KEY'));
        return new DNS(new Guzzle($key));
    }
}
