import Synchronization

/// A value behind a lock, shared between threads and tasks.
final class LockedValue<Value: Sendable>: Sendable {
    private let stored: Mutex<Value>

    init(_ value: Value) { stored = Mutex(value) }

    var value: Value {
        get { stored.withLock { $0 } }
        set { stored.withLock { $0 = newValue } }
    }

    /// Changes the value in place while holding the lock; returns what `body` returns.
    func withValue<T: Sendable>(_ body: (inout Value) throws -> T) rethrows -> T {
        try stored.withLock { try body(&$0) }
    }
}

/// A boolean shared with a background thread.
typealias LockedFlag = LockedValue<Bool>
