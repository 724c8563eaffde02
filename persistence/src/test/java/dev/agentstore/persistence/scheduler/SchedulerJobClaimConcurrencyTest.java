package dev.agentstore.persistence.scheduler;

import dev.agentstore.domain.scheduler.SchedulerJob;
import dev.agentstore.persistence.AgentStore;
import dev.agentstore.persistence.AgentStoreExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Many workers claiming at once: SKIP LOCKED hands every due job to exactly one of them. */
@ExtendWith(AgentStoreExtension.class)
class SchedulerJobClaimConcurrencyTest {

    private static final int JOBS = 1000;
    private static final int WORKERS = 8;

    @Test
    void eightWorkersClaimingConcurrentlyClaimEveryDueJobExactlyOnce(AgentStore store) throws Exception {
        int inserted = SchedulerSql.update(store, """
                INSERT INTO scheduler_jobs (id, name, next_run_at, created_at)
                SELECT 'job-' || lpad(g::text, 4, '0'), 'Job ' || g, now() - interval '1 second', now()
                  FROM generate_series(1, ?) AS g
                """, JOBS);
        assertThat(inserted).isEqualTo(JOBS);

        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        CountDownLatch startGate = new CountDownLatch(1);
        List<Future<List<String>>> results = new ArrayList<>();
        try {
            for (int w = 0; w < WORKERS; w++) {
                String worker = "worker-" + w;
                Callable<List<String>> loop = () -> {
                    startGate.await();
                    List<String> mine = new ArrayList<>();
                    while (true) {
                        List<SchedulerJob> claimed = store.fromTransaction(
                                uow -> uow.schedulerJobs().claimDue(worker, 25, Duration.ofMinutes(5)));
                        if (claimed.isEmpty()) {
                            return mine;
                        }
                        claimed.forEach(job -> assertThat(job.leaseOwner()).isEqualTo(worker));
                        claimed.forEach(job -> mine.add(job.id()));
                    }
                };
                results.add(pool.submit(loop));
            }
            startGate.countDown();
            Map<String, String> ownerById = new HashMap<>();
            List<String> all = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                List<String> ids = results.get(w).get(300, TimeUnit.SECONDS);
                all.addAll(ids);
                for (String id : ids) {
                    ownerById.put(id, "worker-" + w);
                }
            }

            assertThat(all).hasSize(JOBS);
            assertThat(new HashSet<>(all)).hasSize(JOBS);
            assertThat(new HashSet<>(all)).isEqualTo(IntStream.rangeClosed(1, JOBS)
                    .mapToObj(i -> String.format("job-%04d", i)).collect(Collectors.toSet()));

            // the database agrees: every job RUNNING once, leased to the worker that received it
            assertThat(SchedulerSql.queryLong(store,
                    "SELECT count(*) FROM scheduler_jobs WHERE status = 'RUNNING' AND attempts = 1")).isEqualTo(JOBS);
            Map<String, String> dbOwners = store.fromTransaction(uow -> uow.schedulerJobs()
                    .list(dev.agentstore.persistence.support.PageRequest.of(0, JOBS)).items().stream()
                    .collect(Collectors.toMap(SchedulerJob::id, SchedulerJob::leaseOwner)));
            assertThat(dbOwners).isEqualTo(ownerById);
        } finally {
            pool.shutdownNow();
        }
    }
}
