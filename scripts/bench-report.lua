-- wrk reporter: requests/s, latency percentiles (incl. p95) and errors, one line.
done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("rps=%.0f p50=%.1fms p95=%.1fms p99=%.1fms max=%.1fms requests=%d non2xx_or_errors=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.requests, errors))
end
