import Foundation

/// A self-contained HTML report page: inline CSS, no scripts or fonts from elsewhere, so it
/// opens offline from a CI artifact.
package struct HTMLPage: Sendable {
    package var title: String
    /// Headline numbers shown as tiles: label, value, and whether the value is bad news.
    package var tiles: [(label: String, value: String, bad: Bool)]
    package var sections: [Section]
    /// A banner above everything (the verdict), and whether it is bad news.
    package var banner: (text: String, bad: Bool)?
    /// Charts shown after the tiles.
    package var charts: [SVGChart] = []
    /// Short paragraphs shown under the charts (how to read the figures).
    package var notes: [String] = []

    /// A titled table; rows with `bad` are highlighted, `details` folds out under a row.
    package struct Section: Sendable {
        package var title: String
        package var columns: [String]
        package var rows: [Row]
        package init(title: String, columns: [String], rows: [Row]) {
            self.title = title
            self.columns = columns
            self.rows = rows
        }
    }

    package struct Row: Sendable {
        package var cells: [String]
        package var bad: Bool
        package var details: [String]
        package init(cells: [String], bad: Bool = false, details: [String] = []) {
            self.cells = cells
            self.bad = bad
            self.details = details
        }
    }

    package init(title: String, tiles: [(label: String, value: String, bad: Bool)], sections: [Section]) {
        self.title = title
        self.tiles = tiles
        self.sections = sections
    }

    package func html() -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>
            body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1d2330;background:#f7f8fa}
            h1{font-size:1.5rem;margin:0 0 1rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}
            .tiles{display:flex;gap:.75rem;flex-wrap:wrap}.tile{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:.75rem 1rem;min-width:8rem}
            .tile b{display:block;font-size:1.6rem}.tile.bad b{color:#c62828}.tile:not(.bad) b{color:#1b7f3b}
            table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde1e8}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #eef0f4;vertical-align:top}
            th{background:#f0f2f6;font-weight:600}tr.bad td{background:#fff3f3}details{margin:.25rem 0 0}pre{margin:.25rem 0;white-space:pre-wrap;font:12px ui-monospace,Menlo,monospace}
            footer{margin-top:2rem;color:#6b7385;font-size:12px}
            .banner{padding:.9rem 1.2rem;border-radius:8px;font-size:1.25rem;font-weight:600;margin:0 0 1rem;background:#e6f4ea;color:#1b7f3b;border:1px solid #b7dfc3}
            .banner.bad{background:#fdecea;color:#b3261e;border-color:#f3b8b3}
            .charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:.75rem;margin-top:1rem}
            figure.chart{margin:0;background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:.25rem}
            svg{width:100%;height:auto}.ct{font-size:12px;font-weight:600;fill:#1d2330}.ax{font-size:10px;fill:#6b7385}.grid{stroke:#eef0f4}
            .notes p{color:#3d4556;max-width:60rem}
            @media print{body{margin:0;background:#fff}.charts{grid-template-columns:1fr 1fr}details{display:none}}
            </style></head><body>
            <h1>\(escape(title))</h1>

            """
        if let banner { out += "<div class=\"banner\(banner.bad ? " bad" : "")\">\(escape(banner.text))</div>\n" }
        out += "<div class=\"tiles\">"
        for tile in tiles {
            out += "<div class=\"tile\(tile.bad ? " bad" : "")\"><b>\(escape(tile.value))</b>\(escape(tile.label))</div>"
        }
        out += "</div>\n"
        if !charts.isEmpty { out += "<div class=\"charts\">" + charts.map { $0.svg() }.joined(separator: "\n") + "</div>\n" }
        if !notes.isEmpty { out += "<div class=\"notes\">" + notes.map { "<p>\(escape($0))</p>" }.joined() + "</div>\n" }
        for section in sections {
            out += "<h2>\(escape(section.title))</h2>\n<table><tr>" + section.columns.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
            for row in section.rows {
                out += "<tr\(row.bad ? " class=\"bad\"" : "")>"
                for (n, cell) in row.cells.enumerated() {
                    out += "<td>\(escape(cell))"
                    if n == 0, !row.details.isEmpty {
                        out += "<details><summary>\(row.details.count) detail(s)</summary><pre>\(escape(row.details.joined(separator: "\n")))</pre></details>"
                    }
                    out += "</td>"
                }
                out += "</tr>\n"
            }
            out += "</table>\n"
        }
        out += "<footer>Written by tollgate on \(ISO8601DateFormatter().string(from: Date())).</footer>\n</body></html>\n"
        return out
    }

    func escape(_ text: String) -> String { Markup.escape(text) }
}
