import Foundation
package import Logging

/// The transactional outbox of one service's store: events are written in the same
/// transaction (or actor step) as the state change that caused them, and published later by
/// an `OutboxRelay`, so a change is never without its event and an event never without its change.
package protocol OutboxStore: Sendable {
    /// Events to publish, oldest first, claimed for a while so a second relay on the same
    /// database does not publish them too.
    func claimPendingEvents(limit: Int) async throws -> [DomainEvent]
    /// Marks events as published.
    func markSent(_ eventIDs: [String]) async throws
    /// Gives claimed events back (their publishing failed), so the next pass takes them again.
    func releaseClaims(_ eventIDs: [String]) async throws
    /// Adds events that go with no state change (a failure worth announcing).
    func enqueue(_ events: [DomainEvent]) async throws
    /// How many events wait to be published.
    func pendingEventCount() async throws -> Int
}

/// The outbox of an in-memory store: the same structure as the `outbox` table, kept inside
/// the store's actor so an event is recorded in the same step as its change.
struct InMemoryOutbox: Sendable {
    private var pending: [DomainEvent] = []
    private var claimedUntil: [String: Date] = [:]

    mutating func append(_ events: [DomainEvent]) { pending += events }

    mutating func claim(limit: Int, now: Date = Date()) -> [DomainEvent] {
        var claimed: [DomainEvent] = []
        for event in pending where claimed.count < limit {
            if let until = claimedUntil[event.eventID], until > now { continue }
            claimedUntil[event.eventID] = now.addingTimeInterval(OutboxRelay.claimSeconds)
            claimed.append(event)
        }
        return claimed
    }

    mutating func releaseClaims(_ ids: [String]) {
        for id in ids { claimedUntil[id] = nil }
    }

    mutating func markSent(_ ids: [String]) {
        let sent = Set(ids)
        pending.removeAll { sent.contains($0.eventID) }
        for id in ids { claimedUntil[id] = nil }
    }

    var count: Int { pending.count }
}

/// Publishes what the outbox holds, in order, marking each event sent once the broker has
/// acknowledged it. While the broker is away it retries with exponential backoff (one task
/// for the whole outbox, not one per event); requests that want their event out wait only
/// while the broker answers.
package actor OutboxRelay {
    /// How long a claim on an event lasts before another relay may take it.
    static let claimSeconds: TimeInterval = 30
    static let batchSize = 100
    static let backoff: (first: Double, max: Double) = (0.1, 5)

    let store: any OutboxStore
    /// Where events go (the broker, through recording and breakages).
    nonisolated let publisher: any EventPublisher
    private let logger: Logger
    /// How long a request waits for its events before it goes on (they stay queued).
    static let patience: Duration = .seconds(2)

    /// Requests waiting for their events, by the ids still unpublished.
    private var waiters: [UInt64: Waiter] = [:]
    private var nextWaiter: UInt64 = 0
    private struct Waiter {
        var remaining: Set<String>
        let continuation: CheckedContinuation<Bool, Never>
        let timer: Task<Void, Never>
    }
    /// Ids published lately, so a request that asks after the relay was quicker returns at once.
    private var recentlySent: [String] = []
    private var recentlySentSet: Set<String> = []
    private var backingOff = false
    private var loop: Task<Void, Never>?
    private var ticker: Task<Void, Never>?
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>

    package init(store: any OutboxStore, publisher: any EventPublisher, logger: Logger = Logger(label: "outbox")) {
        self.store = store
        self.publisher = publisher
        self.logger = logger
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Starts publishing; idempotent.
    package func start() {
        guard loop == nil else { return }
        loop = Task { await run() }
        // Now and then, look again: other writers to the same database, expired claims.
        let wake = self.wake
        ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                wake.yield()
            }
        }
    }

    /// Stops publishing and returns once the relay's tasks have ended; what is still pending
    /// stays in the outbox for the next start.
    package func stop() async {
        let running = [loop, ticker].compactMap { $0 }
        for task in running { task.cancel() }
        loop = nil
        ticker = nil
        wake.yield()
        resolveAll(false)
        for task in running { await task.value }
    }

    /// Wakes the relay for new events and waits until they are published. Returns at once
    /// (false) while the broker is away: the events stay queued and go out when it is back.
    @discardableResult
    package func publish(_ events: [DomainEvent]) async -> Bool {
        await publish(eventIDs: events.map(\.eventID))
    }

    /// `publish`, for events known by id (built inside a store step).
    @discardableResult
    package func publish(eventIDs: [String]) async -> Bool {
        guard !eventIDs.isEmpty else { return true }
        wake.yield()
        guard !backingOff, loop != nil else { return false }
        let remaining = Set(eventIDs).subtracting(recentlySentSet)
        guard !remaining.isEmpty else { return true }
        nextWaiter += 1
        let id = nextWaiter
        return await withCheckedContinuation { continuation in
            let timer = Task { [weak self] in
                try? await Task.sleep(for: Self.patience)
                await self?.finish(id, false)
            }
            waiters[id] = Waiter(remaining: remaining, continuation: continuation, timer: timer)
        }
    }

    private func finish(_ id: UInt64, _ delivered: Bool) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.timer.cancel()
        waiter.continuation.resume(returning: delivered)
    }

    /// Adds events that go with no state change, then publishes them.
    @discardableResult
    package func enqueueAndPublish(_ events: [DomainEvent]) async -> Bool {
        do { try await store.enqueue(events) } catch {
            logger.error("could not queue \(events.map(\.type)): \(error)")
            return false
        }
        return await publish(events)
    }

    private func run() async {
        var delay = Self.backoff.first
        var iterator = wakes.makeAsyncIterator()
        while !Task.isCancelled {
            let batch: [DomainEvent]
            do { batch = try await store.claimPendingEvents(limit: Self.batchSize) } catch {
                if Task.isCancelled { break }
                logger.warning("outbox unreadable, retrying: \(error)")
                await pause(&delay)
                continue
            }
            if batch.isEmpty {
                // Nothing pending: whatever a request waits for is out, or was never committed
                // (the store found nothing to change).
                resolveAll(true)
                _ = await iterator.next()
                continue
            }
            var sent: [String] = []
            var failure: (any Error)?
            for event in batch {
                do {
                    try await publisher.publish(event)
                    sent.append(event.eventID)
                } catch {
                    failure = error
                    break
                }
            }
            if !sent.isEmpty {
                do { try await store.markSent(sent) } catch { logger.warning("could not mark \(sent.count) event(s) sent: \(error)") }
                published(sent)
            }
            if let failure {
                let unsent = batch.map(\.eventID).filter { !sent.contains($0) }
                do { try await store.releaseClaims(unsent) } catch { logger.warning("could not release \(unsent.count) claim(s): \(error)") }
                if Task.isCancelled { break }
                logger.warning("broker unavailable, \(unsent.count) event(s) queued: \(failure)")
                backingOff = true
                resolveAll(false)
                await pause(&delay)
            } else {
                backingOff = false
                delay = Self.backoff.first
            }
        }
    }

    private func pause(_ delay: inout Double) async {
        try? await Task.sleep(for: .seconds(delay))
        delay = min(Self.backoff.max, delay * 2)
    }

    private func published(_ ids: [String]) {
        recentlySent += ids
        recentlySentSet.formUnion(ids)
        if recentlySent.count > 10_000 {
            let dropped = recentlySent.prefix(recentlySent.count - 10_000)
            recentlySentSet.subtract(dropped)
            recentlySent.removeFirst(dropped.count)
        }
        for (id, var waiter) in waiters {
            waiter.remaining.subtract(ids)
            if waiter.remaining.isEmpty { finish(id, true) } else { waiters[id] = waiter }
        }
    }

    private func resolveAll(_ delivered: Bool) {
        for id in waiters.keys { finish(id, delivered) }
    }
}
