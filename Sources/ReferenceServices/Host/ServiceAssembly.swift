/// Each service put together the same way wherever it runs — `services up` (the whole stack in
/// one process, `ServiceStack`) and `services run` (one service per process, `SingleService`):
/// its store, dual-writing into the monolith's database while the rollout runs, and the peers
/// it calls with its own credential.
enum ServiceAssembly {
    /// The user store the service writes through: dual-writing when a monolith keeps users too.
    static func users(_ store: any UserStore, dualWriter: DualWriter?) -> any UserStore {
        dualWriter.map { DualWritingUserStore(store, dualWriter: $0) } ?? store
    }

    static func catalog(_ store: any CatalogStore, dualWriter: DualWriter?) -> any CatalogStore {
        dualWriter.map { DualWritingCatalogStore(store, dualWriter: $0) } ?? store
    }

    static func orders(_ store: any OrderStore, dualWriter: DualWriter?) -> any OrderStore {
        dualWriter.map { DualWritingOrderStore(store, dualWriter: $0) } ?? store
    }

    static func payments(_ store: any PaymentStore, dualWriter: DualWriter?) -> any PaymentStore {
        dualWriter.map { DualWritingPaymentStore(store, dualWriter: $0) } ?? store
    }

    /// The order service, calling the catalog, payment and user services at these URLs with a
    /// credential of its own.
    static func orderService(store: any OrderStore, outbox: OutboxRelay, signer: JWTSigner, catalog: String, payments: String, users: String) -> OrderService {
        let credential = (signer: signer, caller: "order-service")
        return OrderService(store: store, outbox: outbox, signer: signer, catalog: PeerClient(baseURL: catalog, credential: credential),
                            payments: PeerClient(baseURL: payments, credential: credential), users: PeerClient(baseURL: users, credential: credential))
    }
}
