package dev.agentstore.persistence;

import com.zaxxer.hikari.HikariDataSource;
import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.InvalidInputException;
import dev.agentstore.migrations.Indexes;
import dev.agentstore.migrations.MigrationException;
import dev.agentstore.migrations.Migrations;
import dev.agentstore.persistence.configuration.ConfigurationCache;
import dev.agentstore.persistence.feed.ChangeFeed;
import dev.agentstore.persistence.health.StoreHealth;
import dev.agentstore.persistence.statistics.StatisticsRepository;
import dev.agentstore.persistence.statistics.StoreStatistics;
import dev.agentstore.persistence.support.RetryPolicy;
import jakarta.persistence.EntityManagerFactory;
import org.hibernate.SessionFactory;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * The standalone entry point: a HikariCP pool, Liquibase migrations (when {@link AgentStoreConfig#autoMigrate()}),
 * and Hibernate validating the schema ({@code hbm2ddl=validate}), with a unit-of-work API over them. For CLI tools,
 * batch jobs and tests; inside a Jakarta EE container inject the repositories instead.
 *
 * <pre>{@code
 * try (AgentStore store = AgentStore.open(AgentStoreConfig.fromEnvironment())) {
 *     store.inTransaction(uow -> uow.flows().register("etl", "Nightly ETL", 1));
 *     long total = store.fromTransaction(uow -> uow.flows().incrementStat("etl", FlowStat.TOTAL, 1));
 * }
 * }</pre>
 *
 * <p><b>Units of work and single calls.</b> {@link #inTransaction} and {@link #fromTransaction} run several repository
 * calls as one transaction. For one call, the store also hands out per-call repositories ({@link #flowEvents()},
 * {@link #kv()}, {@link #flows()}, …): every method of those runs as its own unit of work, as a container runs an
 * injected repository called outside a transaction. A method marked
 * {@link dev.agentstore.persistence.support.SingleStatement} (one SQL statement, for example
 * {@code store.flowEvents().append(e)}, {@code store.kv().set(k, v)}) then runs in autocommit mode: one round trip,
 * no {@code BEGIN}/{@code COMMIT}, as atomic as a transaction of that one statement. Any other method runs in its
 * own transaction. Inside {@code inTransaction} use the unit of work's repositories: a per-call repository called
 * there takes a second connection from the pool and commits on its own, outside the unit of work.
 *
 * <pre>{@code
 * store.flowEvents().append(NewFlowEvent.of("run-1", "etl", "step.completed"));   // one statement, autocommit
 * store.flowRuns().update("etl", "run-1", patch);                                  // its own transaction
 * }</pre>
 *
 * <p>Thread-safe: many threads may run transactions at once, each on its own connection.
 */
public final class AgentStore extends PerCallRepositories implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AgentStore.class);

    /**
     * The entity classes of the agentstore persistence unit, as a container's {@code persistence.xml} lists them
     * (unmodifiable).
     */
    public static final List<Class<?>> ENTITY_CLASSES = ManagedClasses.ALL;

    private final AgentStoreConfig config;
    private final DataSource dataSource;
    private final DataSource schemaSource;
    private final HikariDataSource ownedPool;
    private final SessionFactory sessionFactory;
    private final Replicas replicas;
    private final ReadConsistency defaultConsistency;
    private final ConfigurationCache configurationCache;
    private final String name;
    private final CallObserver observer;
    private final StoreFeed feed;

    private AgentStore(AgentStoreConfig config, String name, DataSource dataSource, DataSource schemaSource,
                       HikariDataSource ownedPool, SessionFactory sessionFactory, Replicas replicas) {
        this.config = config;
        this.name = name;
        this.observer = CallObserver.of(config, name);
        this.dataSource = dataSource;
        this.schemaSource = schemaSource;
        this.ownedPool = ownedPool;
        this.configurationCache = new ConfigurationCache(config.configCacheMaxSize(), config.configCacheTtl());
        this.sessionFactory = sessionFactory;
        this.replicas = replicas;
        this.defaultConsistency = ReadConsistency.maxLag(config.replicaMaxLag());
        // LISTEN needs a session of its own: the direct URL behind a transaction pooler, else a connection outside the pool
        DataSource direct = StoreBootstrap.directDataSource(config);
        this.feed = new StoreFeed(dataSource, direct != null ? direct
                : ownedPool != null ? StoreBootstrap.driverDataSource(config) : dataSource, config.schema());
    }

    /**
     * Opens a store with its own HikariCP pool.
     *
     * @param config the settings
     * @return the open store; close it to release the pool
     * @throws AgentStoreException when the database cannot be reached, a migration or a custom index fails, or the
     *                             schema does not match the entities (for example {@code autoMigrate=false} on an
     *                             unmigrated schema); {@link InvalidInputException} when a custom index names a column
     *                             its table lacks
     */
    public static AgentStore open(AgentStoreConfig config) {
        Objects.requireNonNull(config, "config");
        String name = StoreNames.claim(config.telemetry());
        try {
            HikariDataSource pool = StoreBootstrap.createPool(config, name);
            try {
                return open(config, name, pool, pool);
            } catch (RuntimeException e) {
                pool.close();
                throw e;
            }
        } catch (RuntimeException e) {
            StoreNames.release(config.telemetry(), name);
            throw e;
        }
    }

    /**
     * Opens a store over a caller-owned {@link DataSource} (another pool, or a proxy that counts statements). The
     * URL, user, password, sslmode and pool settings of {@code config} are then ignored; {@link #close()} does not
     * close {@code dataSource}. Its connections must have the configured schema first on their {@code search_path}
     * (pgjdbc's {@code currentSchema}), since repository SQL names tables without a schema.
     *
     * @param config     schema, auto-migrate and clock settings
     * @param dataSource where connections come from
     * @return the open store
     * @throws AgentStoreException when a migration fails or the schema does not match the entities
     */
    public static AgentStore open(AgentStoreConfig config, DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource");
        String name = StoreNames.claim(config.telemetry());
        try {
            return open(config, name, dataSource, null);
        } catch (RuntimeException e) {
            StoreNames.release(config.telemetry(), name);
            throw e;
        }
    }

    private static AgentStore open(AgentStoreConfig config, String name, DataSource dataSource,
                                   HikariDataSource ownedPool) {
        DataSource direct = StoreBootstrap.directDataSource(config);
        DataSource schemaSource = direct != null ? direct : dataSource;
        StoreBootstrap.migrate(config, schemaSource);
        StoreBootstrap.checkSearchPath(config, dataSource, ownedPool != null);
        SessionFactory sessionFactory;
        try {
            sessionFactory = StoreBootstrap.buildSessionFactory(config, dataSource);
        } catch (RuntimeException e) {
            throw new AgentStoreException("could not start Hibernate on schema '" + config.schema() + "' (is it migrated?"
                    + " set autoMigrate=true or run the migrations first): " + e.getMessage(), e);
        }
        try {
            Replicas replicas = Replicas.open(config, sessionFactory.unwrap(SessionFactoryImplementor.class)
                    .getJdbcServices().getDialect());
            return new AgentStore(config, name, dataSource, schemaSource, ownedPool, sessionFactory, replicas);
        } catch (RuntimeException e) {
            sessionFactory.close();
            throw e;
        }
    }

    /** @return the settings this store was opened with */
    public AgentStoreConfig config() {
        return config;
    }

    /**
     * @return the name this store's meters carry (tag {@code store} of {@code agentstore.*}, tag {@code pool} of
     *         {@code hikaricp.*}): {@link AgentStoreConfig#name()}, or {@code name-2}, {@code name-3}, … when another
     *         open store already reports to the same meter registry under that name
     */
    public String name() {
        return name;
    }

    /** @return the connection pool, for a caller's own SQL; do not close it */
    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * @return the read cache of configurations shared by this store's transactions (sized by
     *         {@link AgentStoreConfig#configCacheMaxSize()} and {@link AgentStoreConfig#configCacheTtl()})
     */
    public ConfigurationCache configurationCache() {
        return configurationCache;
    }

    /** @return Hibernate's entity manager factory, for a caller's own JPA work; do not close it */
    public EntityManagerFactory entityManagerFactory() {
        return sessionFactory;
    }

    /**
     * @return the migration API for this store's schema; its methods throw
     *         {@link dev.agentstore.migrations.MigrationException} (the migrations module stands alone, outside the
     *         {@link AgentStoreException} hierarchy); on {@link AgentStoreConfig#directUrl()} when it is set
     */
    public Migrations migrations() {
        return new Migrations(schemaSource, config.schema()).vectorSchema(config.vectorSchema());
    }

    /**
     * @return the schema's indexes: custom ones created when missing ({@link Indexes#ensure}) and all of them listed;
     *         its methods throw {@link MigrationException} and {@link IllegalArgumentException} (see
     *         {@link #migrations()})
     */
    public Indexes indexes() {
        return new Indexes(schemaSource, config.schema());
    }

    /**
     * Runs {@code work} in one transaction: commits when it returns, rolls back when it throws.
     *
     * @param work the work, given the transaction's repositories
     * @throws AgentStoreException (or a subclass) translated from a JPA or Hibernate exception of the work or the
     *                             commit; any other exception the work throws is rethrown unchanged, after the rollback
     */
    public void inTransaction(Consumer<UnitOfWork> work) {
        fromTransaction(uow -> {
            work.accept(uow);
            return null;
        });
    }

    /**
     * Runs {@code work} in one transaction and returns its result: commits when it returns, rolls back when it throws.
     *
     * @param work the work, given the transaction's repositories
     * @param <T>  the result type
     * @return what {@code work} returned
     * @throws dev.agentstore.domain.TransientDataAccessException when a transient failure ended the transaction
     *                             (lost connection, no connection within the pool timeout, server shutdown, statement
     *                             or lock timeout); {@link dev.agentstore.domain.ConcurrencyConflictException} (a
     *                             subclass) when it lost a race (a {@code @Version} check, a serialization failure, a
     *                             deadlock). Both say whether re-running the work is safe: it is, except when the
     *                             connection was lost while the {@code COMMIT} was in flight (the outcome is unknown)
     * @throws AgentStoreException (or another subclass) translated from any other JPA or Hibernate exception of the
     *                             work or the commit. Any other exception the work throws is rethrown unchanged, after
     *                             the rollback.
     */
    public <T> T fromTransaction(Function<UnitOfWork, T> work) {
        return fromTransaction("unit of work", work);
    }

    /**
     * {@link #fromTransaction(Function)} naming the work {@code operation} in the exceptions of the begin, flush and
     * commit (a repository's own failures name its operation).
     */
    <T> T fromTransaction(String operation, Function<UnitOfWork, T> work) {
        return observer.observe(CallObserver.Call.of(operation), () -> inUnit(sessionFactory, operation, false, work));
    }

    /**
     * Runs {@code work} in one read-only transaction ({@code BEGIN READ ONLY}) on a read replica allowed by the
     * store's default consistency, {@link ReadConsistency#maxLag} of {@link AgentStoreConfig#replicaMaxLag()};
     * see {@link #read(ReadConsistency, Function)}.
     */
    public <T> T read(Function<UnitOfWork, T> work) {
        return read("read-only unit of work", defaultConsistency, work);
    }

    /**
     * Runs {@code work} in one read-only transaction ({@code BEGIN READ ONLY}): on a read replica that
     * {@code consistency} allows, else on the primary. Replicas are tried in turn (round robin across calls); one
     * that is too far behind is passed over; one that cannot be reached, or loses the connection, is passed over and
     * skipped by later reads for a few seconds, after which a read tries it again. When no replica serves the read it
     * runs on the primary, without an error to the caller. Without replicas ({@link AgentStoreConfig#replicaUrls()})
     * it runs on the primary. For read-your-writes, pass {@link ReadConsistency#primary()}; units of work that write
     * ({@link #fromTransaction}) always run on the primary.
     *
     * @param consistency which servers may serve the read
     * @param work        the reads; a write or a lock in it fails ({@code READ ONLY} transaction), on the primary too
     * @param <T>         the result type
     * @return what {@code work} returned
     * @throws AgentStoreException as {@link #fromTransaction(Function)}, from the server that ran the read last
     */
    public <T> T read(ReadConsistency consistency, Function<UnitOfWork, T> work) {
        return read("read-only unit of work", Objects.requireNonNull(consistency, "consistency"), work);
    }

    /** The per-call form of {@link #read(Function)}, naming the repository method in failures. */
    <T> T read(String operation, ReadConsistency consistency, Function<UnitOfWork, T> work) {
        return observer.observe(CallObserver.Call.of(operation), () -> replicas.read(consistency, sessionFactory,
                (factory, w) -> inUnit(factory, operation, true, w), work));
    }

    private <T> T inUnit(SessionFactory factory, String operation, boolean readOnly, Function<UnitOfWork, T> work) {
        return Units.run(factory, em -> new UnitOfWork(em, config.clock(), configurationCache), operation, readOnly,
                work);
    }

    /**
     * Runs {@code work} in a new transaction per attempt, retrying with {@code policy}'s backoff while an attempt
     * ends in a {@link dev.agentstore.domain.TransientDataAccessException} that is
     * {@link dev.agentstore.domain.TransientDataAccessException#retrySafe() retry-safe}: a lost race
     * ({@link dev.agentstore.domain.ConcurrencyConflictException}), a lost connection, no connection within the pool
     * timeout, a server shutdown, a statement or lock timeout. Bounded, and
     * without lost updates: the work re-reads the current state in every attempt.
     *
     * @param policy attempts and backoff
     * @param work   the work; it may run several times, so it must not have side effects outside the transaction
     * @param <T>    the result type
     * @return what the successful attempt returned
     * @throws dev.agentstore.domain.ConcurrencyConflictException when every attempt conflicted
     * @throws dev.agentstore.domain.TransientDataAccessException when every attempt failed transiently (the message
     *                                                            names the operation and the attempts), or at once
     *                                                            when a failure is not retry-safe (the connection was
     *                                                            lost during the {@code COMMIT}: the outcome is unknown)
     * @throws AgentStoreException any other failure, at once, as {@link #fromTransaction(Function)}
     */
    public <T> T fromTransactionWithRetry(RetryPolicy policy, Function<UnitOfWork, T> work) {
        int[] attempts = {0};
        try {
            return policy.execute("unit of work", () -> {
                attempts[0]++;
                return fromTransaction(work);
            });
        } finally {
            if (attempts[0] > 1) {
                observer.retried(CallObserver.Call.UNIT_OF_WORK, attempts[0] - 1);
            }
        }
    }

    /**
     * Rows and sizes of the tables and indexes of the store's schema ({@link AgentStoreConfig#schema()}), read in a
     * transaction of its own; see {@link StatisticsRepository#read(String)} for what is counted and what it costs.
     *
     * @return the schema's tables and indexes
     * @throws AgentStoreException (a typed subclass) when the database fails
     */
    public StoreStatistics statistics() {
        return fromTransaction(uow -> new StatisticsRepository(uow.entityManager()).read(config.schema()));
    }

    /**
     * Checks the database the store works on, without throwing: connectivity, primary or replica and replay lag,
     * pending migrations, the pgvector version and, for a pool the store opened, its saturation. See
     * {@link dev.agentstore.persistence.health.HealthProbe#check} for what it costs and when it is degraded or down.
     *
     * @return the store's health; {@link StoreHealth.Status#DOWN} when no connection could be had
     */
    public StoreHealth health() {
        return ConnectionCheck.health(config, dataSource,
                ownedPool == null ? null : StoreBootstrap.saturation(ownedPool));
    }


    /** See {@link PerCallRepository#call}. */
    <T> T perCall(String operation, boolean singleStatement, Function<UnitOfWork, T> call) {
        return PerCallRepository.call(this, operation, singleStatement, call);
    }

    /** @return whether the store has read replicas ({@link AgentStoreConfig#replicaUrls()}) */
    boolean hasReplicas() {
        return !config.replicaUrls().isEmpty();
    }

    /** A per-call repository method marked {@link dev.agentstore.persistence.support.ReadOnly}: see {@link #read}. */
    <T> T perCallRead(String operation, Function<UnitOfWork, T> call) {
        return read(operation, defaultConsistency, call);
    }

    /**
     * The store's change feed, started on first use: one dedicated {@code LISTEN} connection (opened with the store's
     * connection settings outside the pool, on the direct URL behind a transaction pooler; over a caller-owned
     * {@link DataSource}, one of its connections), and a
     * cached pool of daemon threads for the listeners. Closed with the store.
     *
     * @return the feed
     * @throws IllegalStateException when the store is closed
     */
    public ChangeFeed feed() {
        return feed.get();
    }

    /**
     * Closes the change feed, Hibernate, the read replicas' pools and, when the store created it, the pool. Idempotent.
     */
    @Override
    public void close() {
        try {
            feed.close();
            replicas.close();
            sessionFactory.close();
        } finally {
            try {
                if (ownedPool != null) {
                    ownedPool.close();
                }
            } finally {
                StoreNames.release(config.telemetry(), name);
            }
        }
    }

    /**
     * Migrations of the configured schema over connections of their own, opened one at a time with the store's
     * connection settings (TLS and timeouts included) and closed after each use: for tools that migrate, inspect or
     * roll back a schema without opening a store (which validates the schema against the entities). Does not
     * connect until a method of the returned object is called.
     *
     * @param config the settings
     * @return the schema's migrations
     */
    public static Migrations migrations(AgentStoreConfig config) {
        Objects.requireNonNull(config, "config");
        return new Migrations(StoreBootstrap.driverDataSource(config), config.schema());
    }
}
