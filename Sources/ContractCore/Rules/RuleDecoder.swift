/// Reads matching rules from the JSON of a pact file (v2 flat form, v3/v4 categorised form)
/// and writes them back.
enum RuleDecoder {
    /// One rule object such as `{"match": "type", "min": 1}`.
    static func rule(_ json: JSONValue, at path: String) throws -> MatchingRule {
        guard case .object(let o) = json else { throw PactError(path: path, reason: "a matcher must be a JSON object, found \(json.typeName)") }
        func string(_ key: String) throws -> String {
            guard let value = o[key]?.stringValue else {
                throw PactError(path: path, reason: "matcher '\(o["match"]?.stringValue ?? "?")' needs a string '\(key)'")
            }
            return value
        }
        func int(_ key: String) throws -> Int? {
            guard let value = o[key] else { return nil }
            guard let number = value.intValue, number >= 0 else {
                throw PactError(path: path + ".\(key)", reason: "expected a non-negative integer, found \(value)")
            }
            return number
        }
        let match: String
        if let name = o["match"]?.stringValue {
            match = name
        } else if o["match"] != nil {
            throw PactError(path: path + ".match", reason: "'match' must be a string")
        } else if o.contains("regex") {
            match = "regex"
        } else if o.contains("min") || o.contains("max") {
            match = "type"
        } else {
            throw PactError(path: path, reason: "matcher has no 'match' field: \(json)")
        }
        switch match {
        case "equality": return .equality
        case "regex":
            let pattern = try string("regex")
            guard pattern.utf8.count <= RegexCache.maximumPatternLength else {
                throw PactError(path: path + ".regex", reason: "the regular expression is longer than \(RegexCache.maximumPatternLength) bytes")
            }
            guard RegexCache.shared.regex(pattern) != nil else {
                throw PactError(path: path + ".regex", reason: "'\(pattern)' is not a valid regular expression")
            }
            return .regex(pattern)
        case "type", "min", "max":
            let min = try int("min"), max = try int("max")
            switch (min, max) {
            case let (min?, max?):
                guard min <= max else { throw PactError(path: path, reason: "min \(min) is greater than max \(max)") }
                return .minMaxType(min, max)
            case let (min?, nil): return .minType(min)
            case let (nil, max?): return .maxType(max)
            default: return .type
            }
        case "include": return .include(try string("value"))
        case "integer": return .integer
        case "decimal": return .decimal
        case "number": return .number
        case "null": return .null
        case "boolean": return .boolean
        case "timestamp", "datetime":
            return .timestamp(o["format"]?.stringValue ?? o["timestamp"]?.stringValue ?? o["datetime"]?.stringValue)
        case "date": return .date(o["format"]?.stringValue ?? o["date"]?.stringValue)
        case "time": return .time(o["format"]?.stringValue ?? o["time"]?.stringValue)
        case "contentType", "content-type": return .contentType(try string("value"))
        case "values": return .values
        case "notEmpty", "not-empty": return .notEmpty
        case "semver": return .semver
        case "statusCode", "status-code":
            switch o["status"] {
            case .string(let name)?:
                guard let status = StatusCodeRule(name: name) else {
                    throw PactError(path: path + ".status", reason: "unknown status class '\(name)' (info, success, redirect, clientError, serverError, nonError, error)")
                }
                return .statusCode(status)
            case .array(let codes)?:
                let ints = codes.compactMap(\.intValue)
                guard ints.count == codes.count else { throw PactError(path: path + ".status", reason: "status codes must be integers") }
                return .statusCode(.codes(ints))
            default: throw PactError(path: path, reason: "statusCode matcher needs 'status'")
            }
        case "eachKey", "each-key", "eachValue", "each-value":
            guard case .array(let items)? = o["rules"] else {
                throw PactError(path: path, reason: "\(match) matcher needs a 'rules' array")
            }
            let rules = try items.enumerated().map { try rule($1, at: path + ".rules[\($0)]") }
            return match.hasPrefix("eachKey") || match == "each-key" ? .eachKey(RuleList(rules)) : .eachValue(RuleList(rules))
        case "arrayContains", "array-contains":
            guard case .array(let items)? = o["variants"] else {
                throw PactError(path: path, reason: "arrayContains matcher needs a 'variants' array")
            }
            return .arrayContains(try items.enumerated().map { n, item in
                let here = path + ".variants[\(n)]"
                guard let index = item["index"]?.intValue else { throw PactError(path: here, reason: "variant needs an integer 'index'") }
                let rules = try item["rules"].map { try bodyRules($0, at: here + ".rules") } ?? BodyRules()
                return ArrayContainsVariant(index: index, rules: rules, generators: item["generators"])
            })
        default:
            throw PactError(path: path + ".match", reason: "unknown matcher '\(match)'")
        }
    }

    /// `{"matchers": [...], "combine": "AND"}`, or (v2) a single rule object.
    static func ruleList(_ json: JSONValue, at path: String) throws -> RuleList {
        guard case .object(let o) = json else { throw PactError(path: path, reason: "expected an object of matchers, found \(json.typeName)") }
        guard let matchers = o["matchers"] else { return RuleList([try rule(json, at: path)]) }
        guard case .array(let items) = matchers else { throw PactError(path: path + ".matchers", reason: "'matchers' must be an array") }
        var combine = RuleList.Combine.and
        if let text = o["combine"] {
            guard let value = text.stringValue.flatMap({ RuleList.Combine(rawValue: $0.uppercased()) }) else {
                throw PactError(path: path + ".combine", reason: "'combine' must be AND or OR, found \(text)")
            }
            combine = value
        }
        return RuleList(try items.enumerated().map { try rule($1, at: path + ".matchers[\($0)]") }, combine: combine)
    }

    static func bodyRules(_ json: JSONValue, at path: String) throws -> BodyRules {
        guard case .object(let o) = json else { throw PactError(path: path, reason: "expected an object keyed by path") }
        var rules = BodyRules()
        for (key, value) in o {
            let here = path + "['\(key)']"
            do { rules.add(try PathExpression(key), try ruleList(value, at: here)) } catch let error as PathExpressionError {
                throw PactError(path: here, reason: error.description)
            }
        }
        return rules
    }

    /// Reads the `matchingRules` of a request, response or message.
    static func matchingRules(_ json: JSONValue?, version: SpecVersion, at path: String) throws -> MatchingRules {
        var result = MatchingRules()
        guard let json else { return result }
        guard case .object(let o) = json else { throw PactError(path: path, reason: "matchingRules must be an object") }
        let isFlat = o.keys.contains { $0.hasPrefix("$") }
        if version < .v3 || isFlat {
            for (key, value) in o {
                let here = path + "['\(key)']"
                let list = try ruleList(value, at: here)
                if key == "$.path" {
                    result.path = list
                } else if key == "$.method" {
                    result.method = list
                } else if key == "$.status" {
                    result.status = list
                } else if let name = stripPrefix(key, "$.headers") {
                    result.headers.append((try flatName(name, at: here), list))
                } else if let name = stripPrefix(key, "$.query") {
                    result.query.append((try flatName(name, at: here), list))
                } else if let rest = stripPrefix(key, "$.body") ?? stripPrefix(key, "$.contents") {
                    result.body.add(try expression("$" + rest, at: here), list)
                } else if let name = stripPrefix(key, "$.metadata") ?? stripPrefix(key, "$.metaData") {
                    result.metadata.append((try flatName(name, at: here), list))
                } else {
                    throw PactError(path: here, reason: "matching rule path must start with $.body, $.headers, $.query or $.path")
                }
            }
            return result
        }
        for (category, value) in o {
            let here = path + ".\(category)"
            switch category {
            case "path", "method", "status":
                guard case .object(let inner) = value else { throw PactError(path: here, reason: "expected an object") }
                // Either the rule list itself or (rarely) keyed by an expression.
                let list = inner.contains("matchers") ? try ruleList(value, at: here)
                    : try inner.first.map { try ruleList($0.value, at: here + "['\($0.key)']") } ?? RuleList([])
                if category == "path" { result.path = list } else if category == "method" { result.method = list } else { result.status = list }
            case "header", "headers", "query", "metadata", "metaData":
                guard case .object(let inner) = value else { throw PactError(path: here, reason: "expected an object keyed by name") }
                for (name, rules) in inner {
                    let list = try ruleList(rules, at: here + "['\(name)']")
                    let bare = name.hasPrefix("$.") ? String(name.dropFirst(2)) : name
                    switch category {
                    case "query": result.query.append((bare, list))
                    case "metadata", "metaData": result.metadata.append((bare, list))
                    default: result.headers.append((bare, list))
                    }
                }
            case "body", "content", "contents":
                let rules = try bodyRules(value, at: here)
                for entry in rules.entries { result.body.add(entry.expression, entry.rules) }
            default:
                throw PactError(path: here, reason: "unknown matching rule category '\(category)'")
            }
        }
        return result
    }

    private static func stripPrefix(_ key: String, _ prefix: String) -> String? {
        guard key.hasPrefix(prefix) else { return nil }
        let rest = key.dropFirst(prefix.count)
        guard rest.isEmpty || rest.first == "." || rest.first == "[" else { return nil }
        return String(rest)
    }

    private static func flatName(_ rest: String, at path: String) throws -> String {
        let tokens: [PathExpression.Token]
        do { tokens = try PathExpression("$" + rest).tokens } catch { throw PactError(path: path, reason: "\(error)") }
        guard tokens.count >= 2, case .field(let name) = tokens[1] else { throw PactError(path: path, reason: "expected a name after the category") }
        return name
    }

    private static func expression(_ text: String, at path: String) throws -> PathExpression {
        do { return try PathExpression(text) } catch { throw PactError(path: path, reason: "\(error)") }
    }

    // MARK: writing

    static func encode(_ rules: MatchingRules, version: SpecVersion) -> JSONValue? {
        guard !rules.isEmpty else { return nil }
        if version < .v3 {
            var flat = JSONObject()
            if let list = rules.path, let rule = list.rules.first { flat["$.path"] = encode(rule) }
            for (name, list) in rules.headers { if let rule = list.rules.first { flat["$.headers.\(name)"] = encode(rule) } }
            for (name, list) in rules.query { if let rule = list.rules.first { flat["$.query.\(name)"] = encode(rule) } }
            for entry in rules.body.entries {
                if let rule = entry.rules.rules.first { flat["$.body" + entry.expression.text.dropFirst()] = encode(rule) }
            }
            return .object(flat)
        }
        var out = JSONObject()
        if let list = rules.method { out["method"] = encode(list) }
        if let list = rules.path { out["path"] = encode(list) }
        if let list = rules.status { out["status"] = encode(list) }
        if !rules.query.isEmpty { out["query"] = .object(JSONObject(rules.query.map { ($0.name, encode($0.rules)) })) }
        if !rules.headers.isEmpty { out["header"] = .object(JSONObject(rules.headers.map { ($0.name, encode($0.rules)) })) }
        if !rules.body.isEmpty { out["body"] = encode(rules.body) }
        if !rules.metadata.isEmpty { out["metadata"] = .object(JSONObject(rules.metadata.map { ($0.name, encode($0.rules)) })) }
        return .object(out)
    }

    static func encode(_ body: BodyRules) -> JSONValue {
        .object(JSONObject(body.entries.map { ($0.expression.text, encode($0.rules)) }))
    }

    static func encode(_ list: RuleList) -> JSONValue {
        var o = JSONObject([("matchers", .array(list.rules.map(encode)))])
        if list.combine == .or { o["combine"] = "OR" }
        return .object(o)
    }

    static func encode(_ rule: MatchingRule) -> JSONValue {
        var o = JSONObject([("match", .string(rule.name))])
        switch rule {
        case .regex(let p): o["regex"] = .string(p)
        case .minType(let n): o["min"] = .integer(Int64(n))
        case .maxType(let n): o["max"] = .integer(Int64(n))
        case .minMaxType(let a, let b): o["min"] = .integer(Int64(a)); o["max"] = .integer(Int64(b))
        case .include(let v), .contentType(let v): o["value"] = .string(v)
        case .timestamp(let f), .date(let f), .time(let f): if let f { o["format"] = .string(f) }
        case .statusCode(let s):
            if case .codes(let codes) = s { o["status"] = .array(codes.map { .integer(Int64($0)) }) } else { o["status"] = .string(s.name) }
        case .eachKey(let list), .eachValue(let list): o["rules"] = .array(list.rules.map(encode))
        case .arrayContains(let variants):
            o["variants"] = .array(variants.map { v in
                var entry = JSONObject([("index", .integer(Int64(v.index))), ("rules", encode(v.rules))])
                if let g = v.generators { entry["generators"] = g }
                return .object(entry)
            })
        default: break
        }
        return .object(o)
    }
}
