/// Text from outside (a server's error message, a lease holder's name) made safe to print and
/// to put in a report: control characters — ANSI escapes that would recolour or rewrite another
/// operator's terminal, carriage returns that hide a line — become `?`, and anything longer
/// than `limit` characters is cut, saying how much was left out.
public enum OutsideText {
    public static func printable(_ text: String, limit: Int = 500) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit {
                let rest = text.unicodeScalars.count - limit
                return out + "… (\(rest) more characters)"
            }
            let control = scalar.value < 0x20 && scalar != "\t" || (0x7F...0x9F).contains(scalar.value)
            out.unicodeScalars.append(control ? "?" : scalar)
            count += 1
        }
        return out
    }
}
