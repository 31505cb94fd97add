package import ContractCore

/// Which consumer versions' pacts the broker is asked for (Pact's consumer version selectors).
package enum ConsumerVersionSelectors {
    /// What Pact recommends: the consumers' main branches and what is deployed or released.
    package static let recommended: [JSONValue] = [
        .object(JSONObject([("mainBranch", .bool(true))])),
        .object(JSONObject([("deployedOrReleased", .bool(true))])),
    ]

    /// The keys a selector may have and the type each takes.
    static let fields: [String: String] = [
        "mainBranch": "boolean", "branch": "string", "matchingBranch": "boolean", "fallbackBranch": "string",
        "deployed": "boolean", "released": "boolean", "deployedOrReleased": "boolean", "environment": "string",
        "consumer": "string", "tag": "string", "fallbackTag": "string", "latest": "boolean",
    ]

    /// Reads `--consumer-version-selectors` values: each a JSON object or an array of them;
    /// every problem names the value, the selector and the key.
    package static func parse(_ texts: [String], flag: String = "--consumer-version-selectors") throws(BrokerError) -> [JSONValue] {
        var selectors: [JSONValue] = []
        for (n, text) in texts.enumerated() {
            let here = texts.count == 1 ? flag : "\(flag) #\(n + 1)"
            let value: JSONValue
            do { value = try JSONParser.parse(text) } catch { throw BrokerError("\(here) is not JSON: \(error)") }
            let list = value.arrayValue ?? [value]
            if list.isEmpty { throw BrokerError("\(here) is an empty list") }
            for (index, selector) in list.enumerated() {
                try check(selector, "\(here)\(value.arrayValue == nil ? "" : "[\(index)]")")
                selectors.append(selector)
            }
        }
        return selectors
    }

    static func check(_ selector: JSONValue, _ here: String) throws(BrokerError) {
        guard let object = selector.objectValue, !object.isEmpty else { throw BrokerError("\(here) must be a non-empty JSON object") }
        for (key, value) in object {
            guard let type = fields[key] else {
                throw BrokerError("\(here).\(key) is not a consumer version selector key (known: \(fields.keys.sorted().joined(separator: ", ")))")
            }
            guard value.typeName == type else { throw BrokerError("\(here).\(key) must be a \(type), not a \(value.typeName)") }
        }
        if object["fallbackBranch"] != nil, object["branch"] == nil, object["matchingBranch"] == nil {
            throw BrokerError("\(here).fallbackBranch is for a branch or matchingBranch selector")
        }
    }
}
