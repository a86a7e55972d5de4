-- wrk script of http_ingest_bench.py: POST /screenings with a unique record per request.
--
-- Environment (set by the bench):
--   HB_POOL    a file of body templates, one a line: a JSON object's members after the
--              record_id, ending with "}" (e.g. "screened_at":"…","found":false})
--   HB_PREFIX  record ids are HB_PREFIX .. thread number .. "-" .. counter (1, 2, …)
--   HB_RESULT  where done() writes its JSON summary
--   HB_TOKEN   the API token gridrisk's requests carry (Authorization: Bearer)
--
-- Request n of thread t uses template (n + 997 t) mod #pool (0-based), so the bench can
-- rebuild any request's body and resend it (a client's retry) after wrk stops.
-- response() takes the record_id out of each 201 body; whatever was sent and not
-- acknowledged when wrk stops is listed under "pending".

local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("tid", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

function init(args)
   pool = {}
   for line in io.lines(os.getenv("HB_POOL")) do
      if #line > 0 then pool[#pool + 1] = line end
   end
   head = '{"record_id":"' .. os.getenv("HB_PREFIX") .. tid .. "-"
   headers = {["Content-Type"] = "application/json"}
   if os.getenv("HB_TOKEN") and #os.getenv("HB_TOKEN") > 0 then
      headers["Authorization"] = "Bearer " .. os.getenv("HB_TOKEN")
   end
   offset = 997 * tid
   counter = 0
   acked = 0
   statuses = {}
   pending = {}
   first_error = ""
end

function request()
   counter = counter + 1
   pending[counter] = true
   local body = head .. counter .. '",' .. pool[(counter + offset) % #pool + 1]
   return wrk.format("POST", "/screenings", headers, body)
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if status == 201 then
      local n = body:match('"record_id":%s*"[^"]*%-(%d+)"')
      if n then
         pending[tonumber(n)] = nil
         acked = acked + 1
      end
   elseif first_error == "" then
      first_error = key .. " " .. body:sub(1, 400)
   end
end

local function quote(s)
   return '"' .. s:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
   end) .. '"'
end

function done(summary, latency, requests)
   local out = {}
   local function put(s) out[#out + 1] = s end
   put(string.format('{"duration_us":%d,"requests":%d,"bytes":%d,',
                     summary.duration, summary.requests, summary.bytes))
   local e = summary.errors
   put(string.format('"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},',
                     e.connect, e.read, e.write, e.status, e.timeout))
   put(string.format('"latency_us":{"min":%d,"max":%d,"mean":%.1f,"stdev":%.1f,' ..
                     '"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d},',
                     latency.min, latency.max, latency.mean, latency.stdev,
                     latency:percentile(50), latency:percentile(75), latency:percentile(90),
                     latency:percentile(99), latency:percentile(99.9)))
   put('"threads":[')
   for i, thread in ipairs(threads) do
      if i > 1 then put(",") end
      put(string.format('{"tid":%d,"sent":%d,"acked":%d,"first_error":%s,"statuses":{',
                        thread:get("tid"), thread:get("counter"), thread:get("acked"),
                        quote(thread:get("first_error"))))
      local sep = ""
      for status, count in pairs(thread:get("statuses")) do
         put(string.format('%s"%s":%d', sep, status, count))
         sep = ","
      end
      put('},"pending":[')
      sep = ""
      for n, _ in pairs(thread:get("pending")) do
         put(string.format("%s%d", sep, n))
         sep = ","
      end
      put("]}")
   end
   put("]}\n")
   local f = assert(io.open(os.getenv("HB_RESULT"), "w"))
   f:write(table.concat(out))
   f:close()
end
