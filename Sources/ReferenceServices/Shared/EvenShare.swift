/// Picks a share of events spread evenly from the first on: with 0.02 the 1st, 51st, 101st …
/// are picked, so a short run sees its share (a random pick would often miss a small one).
/// The services' deliberate faults use it: failed provider charges, dropped dual writes.
struct EvenShare: Sendable {
    let share: Double
    private var seen = 0
    private var picked = 0

    init(_ share: Double) { self.share = share }

    /// Whether the next event is one of the share.
    mutating func next() -> Bool {
        seen += 1
        guard share > 0, Double(picked) < (Double(seen) * share).rounded(.up) else { return false }
        picked += 1
        return true
    }
}
