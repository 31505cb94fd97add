import Foundation

/// A reproducible generator (SplitMix64), so every case is the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A log-normal latency in milliseconds around `median` (Box–Muller).
    mutating func latency(median: Double, spread: Double = 0.4) -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self), u2 = Double.random(in: 0..<1, using: &self)
        let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        return median * exp(spread * z)
    }
}

/// A named pair of samples for the statistics cases.
struct SampleCase {
    let name: String
    let canary: [Double]
    let baseline: [Double]

    /// The cases the statistics are checked on against scipy.
    static let all: [SampleCase] = {
        var random = SeededGenerator(seed: 2026)
        func draw(_ count: Int, _ make: (inout SeededGenerator) -> Double) -> [Double] { (0..<count).map { _ in make(&random) } }
        return [
            SampleCase(name: "identical distributions", canary: draw(300) { $0.latency(median: 80) }, baseline: draw(300) { $0.latency(median: 80) }),
            SampleCase(name: "shifted by 15 ms", canary: draw(250) { $0.latency(median: 80) + 15 }, baseline: draw(280) { $0.latency(median: 80) }),
            SampleCase(name: "heavy ties", canary: draw(400) { Double(Int.random(in: 0...5, using: &$0)) }, baseline: draw(350) { Double(Int.random(in: 0...4, using: &$0)) }),
            SampleCase(name: "tiny, no ties", canary: [12.5, 14.25, 19, 22.75, 30.5], baseline: [10.5, 11, 13.75, 15.5, 16.25, 18, 21.5]),
            SampleCase(name: "tiny, ties", canary: [3, 3, 4, 5, 7, 7], baseline: [1, 3, 4, 4]),
            SampleCase(name: "tiny against many", canary: [40, 41.5, 43, 45, 47.5, 60], baseline: draw(120) { $0.latency(median: 30, spread: 0.2) }),
            SampleCase(name: "slightly faster canary", canary: draw(500) { $0.latency(median: 95) }, baseline: draw(500) { $0.latency(median: 100) }),
        ]
    }()
}
