import ContractCore
import Foundation

/// The `format`s a value can be checked against; others are annotations and pass.
enum SchemaFormats {
    /// Formats of strings this check knows; a `type` rule cannot promise any of them.
    static let checkedStringFormats: Set<String> = ["date-time", "date", "time", "uuid", "email", "uri", "ipv4", "ipv6", "hostname", "byte"]

    /// Nil when `value` is of `format`, else why not.
    static func problem(_ value: JSONValue, format: String) -> String? {
        switch value {
        case .string(let text):
            guard checkedStringFormats.contains(format) else { return nil }
            return isValid(text, format: format) ? nil : "'\(text.prefix(80))' is not a valid \(format)"
        case .integer(let number):
            switch format {
            case "int32": return Int32(exactly: number) == nil ? "\(number) does not fit an int32" : nil
            default: return nil
            }
        case .decimal(let number):
            switch format {
            case "int32", "int64": return "\(number) is not a whole number (\(format))"
            default: return nil
            }
        default:
            return nil
        }
    }

    static func isValid(_ text: String, format: String) -> Bool {
        switch format {
        case "date-time":
            guard let match = dateTime.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), match.range.length == text.utf16.count else { return false }
            let parts = (1...6).map { Int((text as NSString).substring(with: match.range(at: $0))) ?? -1 }
            return validDate(parts[0], parts[1], parts[2]) && parts[3] < 24 && parts[4] < 60 && parts[5] <= 60
        case "date":
            let pieces = text.split(separator: "-", omittingEmptySubsequences: false)
            guard text.utf8.count == 10, pieces.count == 3, pieces.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
                  let year = Int(pieces[0]), let month = Int(pieces[1]), let day = Int(pieces[2]) else { return false }
            return validDate(year, month, day)
        case "time":
            return RegexCache.shared.matchesWhole(#"([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)?"#, text)
        case "uuid":
            return RegexCache.shared.matchesWhole("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", text)
        case "email":
            return RegexCache.shared.matchesWhole(#"[^@\s]+@[^@\s]+"#, text)
        case "uri":
            return RegexCache.shared.matchesWhole(#"[A-Za-z][A-Za-z0-9+.\-]*:\S*"#, text)
        case "hostname":
            return text.utf8.count <= 253 && RegexCache.shared.matchesWhole(#"[A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*"#, text)
        case "ipv4":
            let octets = text.split(separator: ".", omittingEmptySubsequences: false)
            return octets.count == 4 && octets.allSatisfy { $0.count <= 3 && !$0.isEmpty && $0.allSatisfy(\.isASCII) && (UInt8($0) != nil) && ($0 == "0" || !$0.hasPrefix("0")) }
        case "ipv6":
            var address = in6_addr()
            return text.withCString { inet_pton(AF_INET6, $0, &address) } == 1
        case "byte":
            return Data(base64Encoded: text) != nil
        default:
            return true
        }
    }

    private static let dateTime = try! NSRegularExpression(pattern: #"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$"#)

    private static func validDate(_ year: Int, _ month: Int, _ day: Int) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= days[month - 1]
    }
}
