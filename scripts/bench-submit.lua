-- wrk script: posts the public crime form (multipart) with one image per request
-- and a fresh draft key each time. Environment: BENCH_IMAGE (path), BENCH_CSRF,
-- BENCH_TS (a form time stamp). Reports like bench-report.lua, plus 2xx count.
local f = assert(io.open(os.getenv("BENCH_IMAGE"), "rb"))
local image = f:read("*a")
f:close()
local csrf = os.getenv("BENCH_CSRF")
local ts = os.getenv("BENCH_TS")
local boundary = "----cyberdeskbench7MA4YWxkTrZu0gW"

local fields = {
  {"reporter_name", "Nguyễn Văn Bench"}, {"reporter_phone", "0987654321"},
  {"category_id", "2"}, {"summary", "Bị giả danh công an lừa chuyển tiền"},
  {"narrative", "Người gọi xưng công an yêu cầu chuyển tiền để xác minh vụ án; tôi đã chuyển hai lần."},
  {"tx-0-amount", "15.000.000"}, {"tx-0-method", "bank_transfer"}, {"tx-0-to_bank", "VCB"},
  {"tx-0-to_account", "0011004455667"}, {"id-0-kind", "phone"}, {"id-0-value", "0912 345 678"},
  {"consent", "1"}, {"false_report_ack", "1"}, {"form_ts", ts},
}
-- The CSRF token is the body's first part (never in the query string).
table.insert(fields, 1, {"csrf_token", csrf})
local head = {}
for _, kv in ipairs(fields) do
  head[#head + 1] = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. kv[1] .. "\"\r\n\r\n" .. kv[2] .. "\r\n"
end
head = table.concat(head)
local tail = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"anh-chup.png\"\r\nContent-Type: image/png\r\n\r\n" .. image .. "\r\n--" .. boundary .. "--\r\n"

local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  math.randomseed(os.time() + id * 7919)
  ok = 0
end

function request()
  local draft = string.format("%08x%08x%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff), math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  local body = head .. "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"draft\"\r\n\r\n" .. draft .. "\r\n" .. tail
  return wrk.format("POST", "/report/crime", {
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
    ["Cookie"] = "cd_csrf=" .. csrf,
  }, body)
end

-- A report received answers 303 to its receipt; wrk counts only 4xx/5xx as errors.
function response(status, headers, body)
  if status == 303 or (status >= 200 and status < 300) then ok = ok + 1 end
end

done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format("rps=%.0f p50=%.1fms p95=%.1fms p99=%.1fms max=%.1fms requests=%d non2xx_or_errors=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, summary.requests, errors))
end
