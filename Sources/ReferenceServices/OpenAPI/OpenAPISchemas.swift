import Foundation

/// The JSON schemas the services' OpenAPI documents share (OpenAPI 3.1, JSON Schema 2020-12).
/// Built as plain JSON values so a document is one `JSONSerialization` away.
enum OpenAPISchemas {
    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }

    static func object(_ properties: [String: Any], required: [String]) -> [String: Any] {
        ["type": "object", "properties": properties, "required": required]
    }

    static func string(max: Int? = nil, min: Int? = nil, format: String? = nil, pattern: String? = nil) -> [String: Any] {
        var schema: [String: Any] = ["type": "string"]
        if let max { schema["maxLength"] = max }
        if let min { schema["minLength"] = min }
        if let format { schema["format"] = format }
        if let pattern { schema["pattern"] = pattern }
        return schema
    }

    static func integer(_ minimum: Int? = nil, _ maximum: Int? = nil) -> [String: Any] {
        var schema: [String: Any] = ["type": "integer"]
        if let minimum { schema["minimum"] = minimum }
        if let maximum { schema["maximum"] = maximum }
        return schema
    }

    static var money: [String: Any] { ["type": "number", "exclusiveMinimum": 0, "maximum": 1_000_000, "multipleOf": 0.01] }
    static var number: [String: Any] { ["type": "number"] }
    static var timestamp: [String: Any] { ["type": "string", "format": "date-time"] }
    static func array(_ items: [String: Any], max: Int? = nil, min: Int? = nil) -> [String: Any] {
        var schema: [String: Any] = ["type": "array", "items": items]
        if let max { schema["maxItems"] = max }
        if let min { schema["minItems"] = min }
        return schema
    }

    /// Single-line text without control characters (the services refuse them).
    static func text(_ max: Int, required: Bool = true) -> [String: Any] {
        string(max: max, min: required ? 1 : nil, pattern: required ? #"^[^\u0000-\u001F\u007F-\u009F]*\S[^\u0000-\u001F\u007F-\u009F]*$"# : #"^[^\u0000-\u001F\u007F-\u009F]*$"#)
    }

    /// Every schema a service document may reference; each document keeps the ones it uses.
    static var all: [String: Any] {
        var all = base
        all["NewProduct"] = {
            var schema = all["ProductInput"] as! [String: Any]
            schema["required"] = ["sku", "name", "price"]
            var properties = schema["properties"] as! [String: Any]
            properties["active"] = nil
            schema["properties"] = properties
            return schema
        }()
        return all
    }

    private static var base: [String: Any] {
        let address: [String: Any] = object([
            "street": text(200), "city": text(100), "state": text(100), "zip_code": text(20), "country": text(64),
        ], required: ["street", "city", "state", "zip_code", "country"])
        return [
            "Error": object(["error": object(["code": string(), "message": string()], required: ["code", "message"])], required: ["error"]),
            "Health": object(["status": string(), "service": string()], required: ["status", "service"]),
            "Ready": object(["status": ["type": "string", "enum": ["ready", "not_ready"]], "service": string(),
                             "checks": ["type": "object", "additionalProperties": ["type": "string", "enum": ["up", "down"]]]],
                            required: ["status", "service", "checks"]),
            "User": object(["id": string(format: "uuid"), "email": string(), "first_name": string(), "last_name": string(), "phone": string(),
                            "role": string(), "created_at": timestamp, "updated_at": timestamp],
                           required: ["id", "email", "first_name", "last_name", "role", "created_at", "updated_at"]),
            "Registration": object(["email": string(max: 254, pattern: #"^[^@\s]+@[^@\s]+\.[^@\s]+$"#), "password": string(max: 1024, min: 8, pattern: #"^[^\u0000-\u001F\u007F-\u009F]*$"#),
                                    "first_name": text(100), "last_name": text(100)],
                                   required: ["email", "password", "first_name", "last_name"]),
            "Login": object(["email": string(max: 254), "password": string(max: 1024)], required: ["email", "password"]),
            "LoginResult": object(["token": string(), "token_type": string(), "expires_at": timestamp, "user": ref("User")],
                                  required: ["token", "token_type", "expires_at", "user"]),
            "ProfileChange": object(["first_name": text(100), "last_name": text(100), "phone": text(32, required: false)], required: []),
            "NewAddress": {
                var schema = address
                var properties = schema["properties"] as! [String: Any]
                properties["is_default"] = ["type": "boolean"]
                schema["properties"] = properties
                return schema
            }(),
            "Address": object(["id": string(format: "uuid"), "user_id": string(), "street": string(), "city": string(), "state": string(),
                               "zip_code": string(), "country": string(), "is_default": ["type": "boolean"], "created_at": timestamp],
                              required: ["id", "user_id", "street", "city", "state", "zip_code", "country", "is_default", "created_at"]),
            "Addresses": object(["addresses": array(ref("Address"))], required: ["addresses"]),
            "Product": object(["id": integer(1), "sku": string(), "name": string(), "description": string(), "price": number, "currency": string(),
                               "category_id": integer(), "stock_quantity": integer(0), "images": array(string()), "active": ["type": "boolean"],
                               "created_at": timestamp, "updated_at": timestamp],
                              required: ["id", "sku", "name", "description", "price", "currency", "stock_quantity", "images", "active", "created_at", "updated_at"]),
            "ProductPage": object(["products": array(ref("Product")), "page": integer(1), "per_page": integer(1), "total": integer(0),
                                   "total_pages": integer(0)], required: ["products", "page", "per_page", "total", "total_pages"]),
            "ProductInput": object(["sku": text(64), "name": text(200), "description": string(max: 5000), "price": ["type": "number", "minimum": 0, "maximum": 1_000_000, "multipleOf": 0.01],
                                    "category_id": integer(1, InputLimits.maxID), "stock_quantity": integer(0, InputLimits.maxStock),
                                    "images": array(text(2048), max: InputLimits.maxImages), "active": ["type": "boolean"]], required: []),
            "StockChange": ["oneOf": [
                object(["stock_quantity": integer(0, InputLimits.maxStock)], required: ["stock_quantity"]),
                object(["adjustment": integer(-InputLimits.maxStock, InputLimits.maxStock)], required: ["adjustment"]),
            ]],
            "Category": object(["id": integer(1), "name": string(), "slug": string(), "parent_id": ["type": ["integer", "null"]],
                                "children": array(ref("Category"))], required: ["id", "name", "slug", "parent_id", "children"]),
            "Categories": object(["categories": array(ref("Category"))], required: ["categories"]),
            "ReservationItem": object(["product_id": integer(1, InputLimits.maxID), "quantity": integer(1, InputLimits.maxQuantity)],
                                      required: ["product_id", "quantity"]),
            "ReservationRequest": object(["order_id": text(64), "items": array(ref("ReservationItem"), max: InputLimits.maxOrderLines, min: 1)],
                                         required: ["order_id", "items"]),
            "Reservation": object(["order_id": string(), "items": array(ref("ReservationItem")), "status": string(), "created_at": timestamp],
                                  required: ["order_id", "status"]),
            "ShippingAddress": address,
            "NewOrder": object(["items": array(ref("ReservationItem"), max: InputLimits.maxOrderLines, min: 1), "shipping_address": ref("ShippingAddress"),
                                "payment_method": string(max: 64, pattern: "^pm_[A-Za-z0-9_]*$")], required: ["items", "shipping_address", "payment_method"]),
            "Order": object([
                "id": string(format: "uuid"), "user_id": string(), "status": ["type": "string", "enum": OrderStatus.allCases.map(\.rawValue)],
                "items": array(object(["product_id": integer(1), "name": string(), "quantity": integer(1), "unit_price": number, "line_total": number],
                                      required: ["product_id", "name", "quantity", "unit_price", "line_total"])),
                "subtotal": number, "tax": number, "shipping": number, "total": number, "currency": string(),
                "shipping_address": ref("ShippingAddress"), "payment_method": string(), "payment_id": string(), "cancellation_reason": string(),
                "compensation_failures": array(string()), "idempotency_key": string(), "created_at": timestamp, "updated_at": timestamp,
                "status_history": array(object(["from": string(), "to": string(), "note": string(), "at": timestamp], required: ["to", "at"])),
            ], required: ["id", "user_id", "status", "items", "subtotal", "tax", "shipping", "total", "currency", "shipping_address",
                          "payment_method", "compensation_failures", "created_at", "updated_at", "status_history"]),
            "Orders": object(["orders": array(ref("Order"))], required: ["orders"]),
            "StatusUpdate": object(["status": ["type": "string", "enum": OrderStatus.allCases.map(\.rawValue)], "note": string(max: 500)], required: ["status"]),
            "Charge": object(["order_id": text(64), "amount": money, "currency": string(pattern: "^[A-Za-z]{3}$"), "payment_method": text(64)],
                             required: ["order_id", "amount", "currency", "payment_method"]),
            "Payment": object(["id": string(), "order_id": string(), "amount": number, "currency": string(), "payment_method": string(),
                               "status": ["type": "string", "enum": ["completed", "failed", "refunded"]], "provider_payment_id": string(),
                               "failure_code": string(), "failure_message": string(), "refunded_amount": number, "idempotency_key": string(),
                               "created_at": timestamp, "updated_at": timestamp],
                              required: ["id", "order_id", "amount", "currency", "payment_method", "status", "refunded_amount", "idempotency_key",
                                         "created_at", "updated_at"]),
            "Payments": object(["payments": array(ref("Payment"))], required: ["payments"]),
            "Declined": object(["error": object(["code": string(), "message": string(), "decline_code": string()], required: ["code", "message"]),
                                "payment": ref("Payment")], required: ["error", "payment"]),
            "RefundRequest": object(["amount": money, "reason": string(max: 500)], required: []),
            "IntentRequest": object(["amount": integer(1, InputLimits.maxCents), "currency": string(pattern: "^[A-Za-z]{3}$"), "payment_method": text(64),
                                     "metadata": ["type": "object", "maxProperties": 20, "additionalProperties": string(max: 500)]],
                                    required: ["amount", "currency", "payment_method"]),
            "Intent": object(["id": string(), "object": string(), "amount": integer(), "currency": string(), "payment_method": string(),
                              "status": string(), "created": integer(), "amount_refunded": integer(),
                              "metadata": ["type": "object", "additionalProperties": string()]],
                             required: ["id", "object", "amount", "currency", "payment_method", "status", "created", "amount_refunded", "metadata"]),
            "CardDeclined": object(["error": object(["type": string(), "code": string(), "decline_code": string(), "message": string(),
                                                     "payment_intent": ref("Intent")], required: ["type", "code", "message"])], required: ["error"]),
            "ProviderRefundRequest": object(["payment_intent": text(64), "amount": integer(1, InputLimits.maxCents)], required: ["payment_intent"]),
            "ProviderRefund": object(["id": string(), "object": string(), "status": string(), "amount": integer(), "payment_intent": string()],
                                     required: ["id", "object", "status", "amount", "payment_intent"]),
            "Faults": object(["latency_ms": integer(0, InputLimits.maxLatencyMs), "failure_rate": ["type": "number", "minimum": 0, "maximum": 1]],
                             required: ["latency_ms", "failure_rate"]),
            "Rollout": object(["percent": integer(0, 100), "legacy_upstream": string(), "stages": array(integer()),
                               "lease": ["type": ["object", "null"], "properties": ["holder": string(), "expires_at": string(format: "date-time")]]],
                              required: ["percent", "stages"]),
            "LeaseRequest": object(["holder": string(max: 200, min: 1), "ttl_s": integer(1, 3600)], required: ["ttl_s"]),
            "Lease": object(["id": string(), "holder": string(), "expires_at": string(format: "date-time")], required: ["id", "holder", "expires_at"]),
            "RolloutChange": object(["percent": integer(0, 100)], required: ["percent"]),
            "ExportPage": object(["table": string(), "key": string(), "columns": array(string()), "key_order": ["enum": ["numeric", "bytes"]],
                                  "rows": array(["type": "object", "additionalProperties": ["type": ["string", "null"]]]),
                                  "next_after": ["type": ["string", "null"]]], required: ["table", "key", "columns", "key_order", "rows", "next_after"]),
            "Backfill": object(["users_to_services": integer(0), "orders_to_services": integer(0), "users_to_monolith": integer(0), "orders_to_monolith": integer(0)],
                               required: ["users_to_services", "orders_to_services", "users_to_monolith", "orders_to_monolith"]),
        ]
    }
}
