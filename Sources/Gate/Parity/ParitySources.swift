import Foundation
import LoadEngine
package import ResponseParity
import Steps

/// The requests parity replays, from HAR files, load profiles and flows.
package enum ParitySources {
    /// Every safe request of `files` (each step or entry `repeats` times, its templates rendered
    /// afresh each time), and what was skipped, in words.
    package static func requests(_ files: [String], repeats: Int, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> (requests: [ParityRequest], skipped: [String]) {
        var requests: [ParityRequest] = []
        var skipped: [String] = []
        for file in files {
            if file.lowercased().hasSuffix(".har") {
                let data: Data
                do { data = try Self.read(file, limit: HARReader.maximumBytes) } catch {
                    throw HARReader.Problem(description: "\(file): \(error)")
                }
                let (entries, notes) = try HARReader.requests(data, file: file)
                if entries.isEmpty { throw HARReader.Problem(description: "\(file): no GET or HEAD request to replay") }
                for _ in 0..<repeats { requests += entries }
                skipped += notes
                continue
            }
            let (steps, name) = try Self.steps(file, environment: environment)
            let safe = steps.filter { ParityRequest.safeMethods.contains($0.method.uppercased()) }
            let unsafe = steps.count - safe.count
            if unsafe > 0 { skipped.append("\(file): \(unsafe) step(s) that write not replayed (only GET and HEAD are sent twice; writes are compared through data consistency)") }
            let renderable = safe.filter { $0.variables.isEmpty }
            for step in safe where !step.variables.isEmpty {
                skipped.append("\(file): step '\(step.name)' uses values captured from earlier answers (\(Array(Set(step.variables)).sorted().joined(separator: ", "))): not replayed on its own")
            }
            if renderable.isEmpty { throw HARReader.Problem(description: "\(file): \(name) has no GET or HEAD step parity can send on its own") }
            var scope = RenderScope(sequence: RunSequence())
            for _ in 0..<repeats {
                for step in renderable {
                    requests.append(ParityRequest(method: step.method.uppercased(), path: step.path.render(&scope),
                                                  headers: step.headers.map { ($0.name, $0.value.render(&scope)) }))
                }
            }
        }
        return (requests, skipped)
    }

    /// A load profile's steps (every scenario's), else a flow's.
    private static func steps(_ file: String, environment: [String: String]) throws -> (steps: [Step], name: String) {
        do {
            let profile = try ProfileLoader.load(file: file, environment: environment)
            return (profile.scenarios.flatMap { $0.mix.sequences.flatMap(\.steps) }, "the profile")
        } catch let profileProblems as FileProblems {
            if let flow = try? FlowLoader.load(file: file, environment: environment) {
                return (flow.items.compactMap { if case .request(let step) = $0 { return step } else { return nil } }, "the flow")
            }
            throw profileProblems
        }
    }

    private static func read(_ file: String, limit: Int) throws -> Data {
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        if let size = attributes[.size] as? Int, size > limit { throw HARReader.Problem(description: "larger than \(limit >> 20) MB") }
        return try Data(contentsOf: URL(fileURLWithPath: file))
    }
}
