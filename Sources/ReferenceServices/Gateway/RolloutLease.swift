package import Foundation

/// Who may move the rollout for a while: a gate takes a lease before it sets its stage, so a
/// second gate on the same gateway is refused (and told who holds it) instead of silently
/// moving the rollout under the first. A lease ends when released or when its time runs out
/// (a gate that died does not block the next one for long).
package struct RolloutLease: Sendable, Equatable {
    /// The secret a holder shows (`X-Rollout-Lease`) to move the rollout.
    package let id: String
    /// Who holds it, in words: "gate storefront stage 25 (ci-runner-3, pid 4242)".
    package let holder: String
    package var expiresAt: Date

    /// The longest lease one request asks for; a holder renews before it runs out.
    package static let maximumSeconds = 3_600
}

extension RolloutState {
    /// The lease in force at `now`, if any.
    func lease(at now: Date = Date()) -> RolloutLease? {
        guard let held = currentLease, held.expiresAt > now else { return nil }
        return held
    }

    /// Grants a lease unless another is in force; then the one in force.
    func acquire(holder: String, seconds: Int, now: Date = Date()) -> (lease: RolloutLease, granted: Bool) {
        if let held = lease(at: now) { return (held, false) }
        let granted = RolloutLease(id: JWTSigner.randomSecret(), holder: holder, expiresAt: now.addingTimeInterval(Double(seconds)))
        currentLease = granted
        return (granted, true)
    }

    /// Extends the lease `id` holds; nil when it is not the lease in force.
    func renew(_ id: String, seconds: Int, now: Date = Date()) -> RolloutLease? {
        guard var held = lease(at: now), held.id == id else { return nil }
        held.expiresAt = now.addingTimeInterval(Double(seconds))
        currentLease = held
        return held
    }

    /// Ends the lease `id` holds; false when it is not the lease in force.
    func release(_ id: String, now: Date = Date()) -> Bool {
        guard let held = lease(at: now), held.id == id else { return false }
        currentLease = nil
        return true
    }

    /// Sets the rollout unless a lease is in force that `leaseID` is not; then that lease.
    func set(_ percent: Int, leaseID: String?, now: Date = Date()) -> RolloutLease? {
        if let held = lease(at: now), held.id != leaseID { return held }
        set(percent)
        return nil
    }
}
