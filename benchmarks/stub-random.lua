-- wrk script: requests spread over the 50 interactions of stub-50.json.
math.randomseed(42)
request = function()
  local i = math.random(1, 50)
  if i % 5 == 0 then
    return wrk.format("POST", "/api/v1/orders/" .. i, {["Content-Type"] = "application/json"}, '{"item_id": ' .. i .. ', "quantity": 3}')
  end
  return wrk.format("GET", "/api/v1/items/" .. i)
end
