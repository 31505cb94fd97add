import Testing

/// Says in the test output, as a skip with its reason, when the PostgreSQL cases do not run.
@Suite struct StoreCoverage {
    @Test(.enabled(if: StoreKind.databaseURL != nil, "every PostgreSQL case is skipped: TOLLGATE_TEST_DATABASE_URL is not set (make test starts a server)"))
    func postgresCasesRun() {
        #expect(StoreKind.available.contains(.postgres))
    }
}
