import Foundation

/// A line chart drawn as inline SVG (no script, nothing fetched), for self-contained reports.
package struct SVGChart: Sendable {
    package struct Series: Sendable {
        package var name: String
        package var color: String
        package var points: [(x: Double, y: Double)]
        package var dashed: Bool

        package init(name: String, color: String, points: [(x: Double, y: Double)], dashed: Bool = false) {
            self.name = name
            self.color = color
            self.points = points
            self.dashed = dashed
        }
    }

    package var title: String
    package var xLabel: String
    package var yLabel: String
    package var series: [Series]
    /// Labels the x axis with these positions instead of evenly spaced numbers.
    package var xTicks: [(x: Double, label: String)]?

    package init(title: String, xLabel: String, yLabel: String, series: [Series], xTicks: [(x: Double, label: String)]? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xTicks = xTicks
    }

    package func svg(width: Double = 640, height: Double = 220) -> String {
        let (left, right, top, bottom) = (56.0, 12.0, 40.0, 34.0)
        let all = series.flatMap(\.points)
        let xMin = all.map(\.x).min() ?? 0, xMax = max(all.map(\.x).max() ?? 1, xMin + 1e-9)
        let yMax = Self.niceCeiling(all.map(\.y).max() ?? 1)
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * (width - left - right) }
        func py(_ y: Double) -> Double { top + (1 - y / yMax) * (height - top - bottom) }
        var out = "<figure class=\"chart\" data-chart=\"\(Markup.escape(title))\"><svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(Markup.escape(title))\">"
        out += "<text x=\"\(left)\" y=\"15\" class=\"ct\">\(Markup.escape(title))</text>"
        for step in 0...4 {
            let y = yMax * Double(step) / 4
            out += "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(f(py(y)))\" y2=\"\(f(py(y)))\" class=\"grid\"/>"
            out += "<text x=\"\(left - 6)\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\" class=\"ax\">\(Self.label(y))</text>"
        }
        let ticks = xTicks ?? (0...4).map { step in
            let x = xMin + (xMax - xMin) * Double(step) / 4
            return (x, Self.label(x))
        }
        for tick in ticks {
            out += "<text x=\"\(f(px(tick.x)))\" y=\"\(f(height - bottom + 14))\" text-anchor=\"middle\" class=\"ax\">\(Markup.escape(tick.label))</text>"
        }
        out += "<text x=\"\(f(width - right))\" y=\"\(f(height - 4))\" text-anchor=\"end\" class=\"ax\">\(Markup.escape(xLabel))</text>"
        out += "<text x=\"4\" y=\"\(f(top - 6))\" class=\"ax\">\(Markup.escape(yLabel))</text>"
        for line in series where !line.points.isEmpty {
            let path = line.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.8\"\(line.dashed ? " stroke-dasharray=\"5 4\"" : "")/>"
        }
        var legendX = left + 40
        for line in series {
            out += "<rect x=\"\(f(legendX))\" y=\"20\" width=\"10\" height=\"10\" fill=\"\(line.color)\"/><text x=\"\(f(legendX + 14))\" y=\"29\" class=\"ax\">\(Markup.escape(line.name))</text>"
            legendX += 24 + Double(line.name.count) * 6.5
        }
        return out + "</svg></figure>"
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let magnitude = pow(10, floor(log10(value)))
        for step in [1.0, 2, 2.5, 5, 10] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    static func label(_ value: Double) -> String {
        if value >= 10_000 { return String(format: "%.0fk", value / 1000) }
        if value == value.rounded() { return String(Int(value)) }
        return String(format: value < 1 ? "%.2f" : "%.1f", value)
    }
}
