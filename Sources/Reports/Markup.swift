/// Escaping text for HTML and XML, the one way every report writer does it.
enum Markup {
    /// `text` safe inside an element or a quoted attribute of HTML or XML 1.0: the five
    /// special characters as entities, other control characters (which XML 1.0 cannot hold)
    /// as spaces; line breaks and tabs kept.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: out += " "
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
