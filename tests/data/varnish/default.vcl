# Varnish 7 in front of several feedsvc instances (README, "Several instances and a CDN").
#
# It caches what the app says it may (Cache-Control), nothing more:
#   max-age=N                 fresh for N seconds (Varnish reads it: beresp.ttl);
#   stale-while-revalidate=N  served stale for N seconds more while one background fetch gets the
#                             new bytes (RFC 5861 §3; Varnish reads it too: beresp.grace);
#   stale-if-error=N          served stale for N seconds past max-age while no origin can answer
#                             (RFC 5861 §4). Varnish does not read this one: the VCL below does.
# Conditional requests (If-None-Match, If-Modified-Since) are answered from the cache with 304,
# and an expired copy is revalidated with the origins by its ETag: every instance gives the same
# ETag for the same bytes, so any of them can answer that 304.
#
# tests/test_varnish.py replaces ORIGIN_ONE and ORIGIN_TWO with the instances' ports.
vcl 4.1;

import directors;
import std;

probe healthz {
    .url = "/healthz";  # 200 when serving, 503 while loading or when the corpus cannot be read
    .interval = 1s;
    .timeout = 1s;
    .window = 3;
    .threshold = 2;
    .initial = 2;  # healthy at start: the first requests need not wait for three probes
}

backend one { .host = "127.0.0.1"; .port = "ORIGIN_ONE"; .probe = healthz; }
backend two { .host = "127.0.0.1"; .port = "ORIGIN_TWO"; .probe = healthz; }

sub vcl_init {
    new origins = directors.round_robin();
    origins.add_backend(one);
    origins.add_backend(two);
}

sub vcl_recv {
    set req.backend_hint = origins.backend();
    if (req.restarts == 0) {
        unset req.http.X-Stale-If-Error;  # set by vcl_synth below, never by a client
    }
}

sub vcl_hit {
    # Varnish hits an object within its ttl + grace, and grace here is the longer of the two stale
    # windows (see vcl_backend_response). Past stale-while-revalidate only stale-if-error allows a
    # stale copy, and only when the origins cannot answer: ask them first, without grace.
    if (obj.ttl < 0s && !req.http.X-Stale-If-Error &&
        obj.ttl + std.duration(regsub(obj.http.Cache-Control,
            "^.*stale-while-revalidate=([0-9]+).*$", "\1s"), 0s) <= 0s &&
        std.healthy(req.backend_hint)) {
        set req.grace = 0s;
        return (restart);
    }
}

sub vcl_backend_fetch {
    unset bereq.http.X-Stale-If-Error;  # ours, not the origin's
}

sub vcl_backend_response {
    if (beresp.status >= 500) {
        # An origin failing: keep the copy we have (a background fetch leaves it in place) and
        # let vcl_synth serve it stale.
        return (abandon);
    }
    # Varnish set grace from stale-while-revalidate, or from its default_grace when there is none:
    # none means none. Then keep the object for stale-if-error if that is longer.
    if (beresp.http.Cache-Control !~ "stale-while-revalidate=") {
        set beresp.grace = 0s;
    }
    if (std.duration(regsub(beresp.http.Cache-Control, "^.*stale-if-error=([0-9]+).*$", "\1s"), 0s)
        > beresp.grace) {
        set beresp.grace = std.duration(
            regsub(beresp.http.Cache-Control, "^.*stale-if-error=([0-9]+).*$", "\1s"), 0s);
    }
    # The request id belongs to the request that filled the cache, not to the clients served from it.
    unset beresp.http.X-Request-ID;
}

sub vcl_backend_error {
    return (abandon);  # no origin answered: never cache an error over the stale copy
}

sub vcl_synth {
    # A fetch failed (no origin, or one answered 5xx): try again, allowing the stale copy.
    if (resp.status == 503 && !req.http.X-Stale-If-Error && req.restarts < 2 &&
        (req.method == "GET" || req.method == "HEAD")) {
        set req.http.X-Stale-If-Error = "1";
        set req.grace = 1y;  # no cap (vcl_hit may have set 0s): the object's own grace applies
        return (restart);
    }
}

sub vcl_deliver {
    # What the cache did, for the tests and for an operator's curl.
    if (obj.hits == 0) {
        set resp.http.X-Cache = "miss";
    } else if (obj.ttl < 0s) {
        set resp.http.X-Cache = "stale";  # its Age says which window allowed it
    } else {
        set resp.http.X-Cache = "hit";
    }
}
