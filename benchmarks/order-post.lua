-- wrk script: POST an order through the gateway. TOKEN and PRODUCTS come from the environment.
local token = os.getenv("TOKEN")
local products = tonumber(os.getenv("PRODUCTS") or "20")
local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"items":[{"product_id":%d,"quantity":1}],"shipping_address":{"street":"1 Main St","city":"Springfield","state":"IL","zip_code":"62701","country":"US"},"payment_method":"pm_card_visa"}',
    (n % products) + 1)
  return wrk.format("POST", "/api/v1/orders", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
local statuses = {}
response = function(status)
  statuses[status] = (statuses[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx/3xx: %d\n", summary.errors.status))
end
