import Foundation
package import LoadMetrics

/// A running load's figures in Prometheus text format (0.0.4), as `tollgate load --metrics-addr`
/// serves them for a Prometheus to scrape — what k6's Prometheus output gives a Grafana: requests,
/// failed requests and latency by request name and by tag, errors by class, iterations, dropped
/// iterations and active virtual users. Every counter is the run's total so far.
package enum LoadExposition {
    /// Latency bucket bounds, in seconds.
    static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    package static func text(_ metrics: RunMetrics, activeVUs: Int, profile: String) -> String {
        let run = "profile=\"\(escape(profile))\""
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) { out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n" }

        family("tollgate_http_reqs_total", "counter", "Requests sent, by request name (name=\"\" is every request).")
        out += "tollgate_http_reqs_total{\(run),name=\"\"} \(metrics.total.requests)\n"
        for (name, stats) in metrics.byName.sorted(by: { $0.key < $1.key }) { out += "tollgate_http_reqs_total{\(run),name=\"\(escape(name))\"} \(stats.requests)\n" }
        family("tollgate_http_req_failed_total", "counter", "Requests that failed (an error class), by request name.")
        out += "tollgate_http_req_failed_total{\(run),name=\"\"} \(metrics.total.errors)\n"
        for (name, stats) in metrics.byName.sorted(by: { $0.key < $1.key }) { out += "tollgate_http_req_failed_total{\(run),name=\"\(escape(name))\"} \(stats.errors)\n" }
        family("tollgate_tag_http_reqs_total", "counter", "Requests sent, by tag.")
        for (tag, stats) in metrics.byTag.sorted(by: { $0.key < $1.key }) { out += "tollgate_tag_http_reqs_total{\(run),tag=\"\(escape(tag))\"} \(stats.requests)\n" }
        family("tollgate_tag_http_req_failed_total", "counter", "Requests that failed, by tag.")
        for (tag, stats) in metrics.byTag.sorted(by: { $0.key < $1.key }) { out += "tollgate_tag_http_req_failed_total{\(run),tag=\"\(escape(tag))\"} \(stats.errors)\n" }
        family("tollgate_errors_total", "counter", "Failed requests by error class.")
        for errorClass in ErrorClass.allCases { out += "tollgate_errors_total{\(run),class=\"\(errorClass.rawValue)\"} \(metrics.errors[errorClass]?.count ?? 0)\n" }
        family("tollgate_iterations_total", "counter", "Iterations completed.")
        out += "tollgate_iterations_total{\(run)} \(metrics.iterations)\n"
        family("tollgate_dropped_iterations_total", "counter", "Open-model iterations not started because every allowed user was busy.")
        out += "tollgate_dropped_iterations_total{\(run)} \(metrics.droppedIterations)\n"
        family("tollgate_vus", "gauge", "Virtual users busy now.")
        out += "tollgate_vus{\(run)} \(activeVUs)\n"
        family("tollgate_http_req_duration_seconds", "histogram", "Request latency corrected for coordinated omission, by request name.")
        histogram(&out, "tollgate_http_req_duration_seconds", metrics.total.latency, labels: "\(run),name=\"\"")
        for (name, stats) in metrics.byName.sorted(by: { $0.key < $1.key }) {
            histogram(&out, "tollgate_http_req_duration_seconds", stats.latency, labels: "\(run),name=\"\(escape(name))\"")
        }
        if metrics.total.tlsHandshake.count > 0 {
            family("tollgate_http_req_tls_handshaking_seconds", "histogram", "TLS handshakes of new connections, by the request name that opened them.")
            histogram(&out, "tollgate_http_req_tls_handshaking_seconds", metrics.total.tlsHandshake, labels: "\(run),name=\"\"")
            for (name, stats) in metrics.byName.sorted(by: { $0.key < $1.key }) where stats.tlsHandshake.count > 0 {
                histogram(&out, "tollgate_http_req_tls_handshaking_seconds", stats.tlsHandshake, labels: "\(run),name=\"\(escape(name))\"")
            }
        }
        return out
    }

    private static func histogram(_ out: inout String, _ family: String, _ latency: LatencyHistogram, labels: String) {
        let buckets = latency.buckets
        var index = 0, below: UInt64 = 0, sum = 0.0
        for bucket in buckets { sum += Double(bucket.micros) * Double(bucket.count) / 1e6 }
        for bound in bounds {
            let limit = UInt64(bound * 1e6)
            while index < buckets.count, buckets[index].micros <= limit {
                below += buckets[index].count
                index += 1
            }
            out += "\(family)_bucket{\(labels),le=\"\(bound)\"} \(below)\n"
        }
        out += "\(family)_bucket{\(labels),le=\"+Inf\"} \(latency.count)\n"
        out += "\(family)_sum{\(labels)} \(sum)\n"
        out += "\(family)_count{\(labels)} \(latency.count)\n"
    }

    /// A label value with `\`, `"` and line breaks escaped.
    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }
}
