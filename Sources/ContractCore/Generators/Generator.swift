public import Foundation

/// A Pact generator: how a verifier or stub replaces an example value with a fresh one.
public enum Generator: Sendable, Equatable {
    case randomInt(min: Int, max: Int)
    case randomDecimal(digits: Int)
    case randomHexadecimal(digits: Int)
    case randomString(size: Int)
    case regex(String)
    case uuid(format: String)
    case date(format: String?)
    case time(format: String?)
    case dateTime(format: String?)
    case randomBoolean
    /// A value from the provider state's parameters (`${id}` in an expression).
    case providerState(expression: String, dataType: String?)
    case mockServerURL(example: String, regex: String)

    static func decode(_ json: JSONValue, at path: String) throws -> Generator {
        guard let type = json["type"]?.stringValue else { throw PactError(path: path, reason: "a generator needs a string 'type'") }
        func int(_ key: String, _ fallback: Int) -> Int { json[key]?.intValue ?? fallback }
        func string(_ key: String) -> String? { json[key]?.stringValue }
        switch type {
        case "RandomInt": return .randomInt(min: int("min", 0), max: int("max", 2_147_483_647))
        case "RandomDecimal": return .randomDecimal(digits: int("digits", 6))
        case "RandomHexadecimal": return .randomHexadecimal(digits: int("digits", 10))
        case "RandomString": return .randomString(size: int("size", 20))
        case "Regex":
            guard let regex = string("regex") else { throw PactError(path: path, reason: "a Regex generator needs 'regex'") }
            return .regex(regex)
        case "Uuid": return .uuid(format: string("format") ?? "lower-case-hyphenated")
        case "Date": return .date(format: string("format"))
        case "Time": return .time(format: string("format"))
        case "DateTime", "Timestamp": return .dateTime(format: string("format"))
        case "RandomBoolean": return .randomBoolean
        case "ProviderState":
            guard let expression = string("expression") else { throw PactError(path: path, reason: "a ProviderState generator needs 'expression'") }
            return .providerState(expression: expression, dataType: string("dataType"))
        case "MockServerURL":
            return .mockServerURL(example: string("example") ?? "", regex: string("regex") ?? ".*")
        default:
            throw PactError(path: path + ".type", reason: "unknown generator '\(type)'")
        }
    }

    /// A value for this generator; `example` is the value in the pact, kept when nothing better is known.
    public func generate(example: JSONValue, context: GeneratorContext) -> JSONValue {
        switch self {
        case .randomInt(let min, let max): return .integer(Int64(Int.random(in: min...Swift.max(min, max))))
        case .randomDecimal(let digits):
            let integerDigits = Swift.max(1, digits / 2)
            let whole = Int.random(in: 1..<Int(pow(10, Double(integerDigits))))
            let fraction = Int.random(in: 0..<Int(pow(10, Double(Swift.max(1, digits - integerDigits)))))
            return .decimal(Double("\(whole).\(fraction)") ?? Double(whole))
        case .randomHexadecimal(let digits): return .string(String((0..<digits).map { _ in "0123456789abcdef".randomElement()! }))
        case .randomString(let size): return .string(String((0..<size).map { _ in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".randomElement()! }))
        case .regex(let pattern): return .string(RegexSampler.sample(pattern) ?? example.matchText)
        case .uuid(let format):
            let uuid = UUID().uuidString
            switch format {
            case "simple": return .string(uuid.replacingOccurrences(of: "-", with: "").lowercased())
            case "upper-case-hyphenated": return .string(uuid)
            case "URN": return .string("urn:uuid:" + uuid.lowercased())
            default: return .string(uuid.lowercased())
            }
        case .date(let format): return .string(Self.format(context.now, format ?? "yyyy-MM-dd"))
        case .time(let format): return .string(Self.format(context.now, format ?? "HH:mm:ss"))
        case .dateTime(let format): return .string(Self.format(context.now, format ?? "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"))
        case .randomBoolean: return .bool(Bool.random())
        case .providerState(let expression, let dataType):
            return context.substitute(expression, dataType: dataType) ?? example
        case .mockServerURL(let example, let regex):
            guard let base = context.mockServerURL, let r = try? NSRegularExpression(pattern: regex),
                  let m = r.firstMatch(in: example, range: NSRange(example.startIndex..., in: example)), m.numberOfRanges > 1,
                  let pathRange = Range(m.range(at: 1), in: example) else { return .string(example) }
            return .string(base + example[pathRange])
        }
    }

    static func format(_ date: Date, _ pattern: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = pattern
        return formatter.string(from: date)
    }
}

/// What generators may draw on: the values a provider-state call returned, the stub's URL, the time.
public struct GeneratorContext: Sendable {
    public var providerState: JSONObject
    public var mockServerURL: String?
    public var now: Date

    public init(providerState: JSONObject = JSONObject(), mockServerURL: String? = nil, now: Date = Date()) {
        self.providerState = providerState
        self.mockServerURL = mockServerURL
        self.now = now
    }

    /// Replaces `${name}` with provider-state values. A lone `${name}` keeps the value's JSON
    /// type unless `dataType` says otherwise; nil when a name has no value.
    func substitute(_ expression: String, dataType: String?) -> JSONValue? {
        let pattern = try! NSRegularExpression(pattern: #"\$\{([^}]+)\}"#)
        let matches = pattern.matches(in: expression, range: NSRange(expression.startIndex..., in: expression))
        if matches.count == 1, matches[0].range.length == (expression as NSString).length {
            let name = (expression as NSString).substring(with: matches[0].range(at: 1))
            guard let value = providerState[name] else { return nil }
            return convert(value, dataType)
        }
        var out = expression
        for match in matches.reversed() {
            let name = (expression as NSString).substring(with: match.range(at: 1))
            guard let value = providerState[name] else { return nil }
            out = (out as NSString).replacingCharacters(in: match.range, with: value.matchText)
        }
        return convert(.string(out), dataType)
    }

    private func convert(_ value: JSONValue, _ dataType: String?) -> JSONValue {
        switch dataType?.uppercased() {
        case "STRING": return .string(value.matchText)
        case "INTEGER": return value.intValue.map { .integer(Int64($0)) } ?? value
        case "DECIMAL", "FLOAT": return value.doubleValue.map { .decimal($0) } ?? Double(value.matchText).map { .decimal($0) } ?? value
        case "BOOLEAN": return .bool(value.matchText == "true")
        default: return value
        }
    }
}
