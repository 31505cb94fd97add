import LoadEngine
import Steps
import Testing

/// Schedules are pure: iteration start times and user counts are checked with no clock at all.
@Suite struct ScheduleTests {
    static func starts(_ executor: Executor) -> [Double] {
        var schedule = ArrivalSchedule(executor)
        var times: [Double] = []
        while let t = schedule.nextStart() { times.append(t) }
        return times
    }

    @Test func aConstantRateStartsIterationsEvenly() {
        let times = Self.starts(.constantArrivalRate(rate: 100, duration: 1, preAllocatedVUs: 1, maxVUs: 1))
        #expect(times.count == 100)
        #expect(times.first == 0)
        for (k, t) in times.enumerated() { #expect(abs(t - Double(k) / 100) < 1e-9) }
    }

    @Test func aRampStartsAsManyIterationsAsItsAreaUnderTheRate() {
        // 0 → 100/s over 10 s (500 iterations), then 100/s for 5 s (500), then down to 0 over 10 s (500).
        let stages = [Stage(target: 100, duration: 10), Stage(target: 100, duration: 5), Stage(target: 0, duration: 10)]
        let times = Self.starts(.rampingArrivalRate(startRate: 0, stages: stages, preAllocatedVUs: 1, maxVUs: 1))
        #expect(abs(times.count - 1500) <= 1, "\(times.count)")
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
        // ∫0^5 10t dt = 125 iterations in the first 5 seconds.
        #expect(abs(times.filter { $0 < 5 }.count - 125) <= 1)
        #expect(abs(times.filter { $0 >= 15 && $0 < 20 }.count - 375) <= 1)
        #expect(times.last! < 25)
    }

    @Test func theTargetRateAndUsersFollowTheStages() {
        let rate = Executor.rampingArrivalRate(startRate: 10, stages: [Stage(target: 110, duration: 10)], preAllocatedVUs: 1, maxVUs: 1)
        #expect(rate.targetRate(at: 5) == 60)
        #expect(rate.targetRate(at: 11) == 0)
        let users = Executor.rampingVUs(startVUs: 0, stages: [Stage(target: 10, duration: 10), Stage(target: 10, duration: 5), Stage(target: 0, duration: 5)])
        #expect(users.targetVUs(at: 5) == 5)
        #expect(users.targetVUs(at: 12) == 10)
        #expect(users.targetVUs(at: 17.5) == 5)
        #expect(users.duration == 20)
    }

    @Test func aShardRunsItsShareOfTheLoad() {
        let shards = (0..<3).map { Shard(index: $0, count: 3) }
        let rates = shards.map { Executor.constantArrivalRate(rate: 90, duration: 10, preAllocatedVUs: 10, maxVUs: 100).sharded($0) }
        #expect(rates.allSatisfy { $0.targetRate(at: 1) == 30 })
        let users = shards.map { Executor.constantVUs(vus: 10, duration: 5).sharded($0).maxVUs }
        #expect(users == [4, 3, 3])
        #expect(Shard(parsing: "2/3") == Shard(index: 1, count: 3))
        for bad in ["0/3", "4/3", "1/0", "x/2", "1/1001", "1"] { #expect(Shard(parsing: bad) == nil, "\(bad)") }
    }
}
