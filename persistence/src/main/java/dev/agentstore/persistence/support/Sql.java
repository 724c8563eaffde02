package dev.agentstore.persistence.support;

import dev.agentstore.domain.AgentStoreException;
import dev.agentstore.domain.Check;
import jakarta.persistence.EntityManager;
import org.hibernate.Session;
import org.jdbi.v3.core.ConnectionFactory;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Handles;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.argument.AbstractArgumentFactory;
import org.jdbi.v3.core.argument.Argument;
import org.jdbi.v3.core.config.ConfigRegistry;
import org.jdbi.v3.core.mapper.ColumnMapper;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.jdbi.v3.postgres.PostgresPlugin;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * The one way repositories run SQL: Jdbi 3 on the unit of work's own connection. Statements use named parameters
 * ({@code :key}), rows are read by column name in a {@link org.jdbi.v3.core.mapper.RowMapper} lambda, and every
 * failure leaves through {@link PersistenceErrors#translate}, so a repository method sees agentstore's typed
 * exceptions only:
 *
 * <pre>{@code
 * Optional<String> value = Sql.call(em, "get KvEntry key=" + key, h -> h.createQuery(GET)
 *         .bind("key", key)
 *         .map((rs, ctx) -> rs.getString("value"))
 *         .findOne());
 * }</pre>
 *
 * <p><b>Transactions.</b> The statements run on the connection of the entity manager's unit of work (standalone) or
 * of the container's JTA transaction, through {@code Session.doReturningWork}: they join whatever transaction is
 * open and never begin, commit or roll back one. They bypass the persistence context: agentstore's entities are
 * read-only to JPA ({@code ReadOnlyEntity}), so nothing loaded there can be stale or pending.
 *
 * <p><b>Values.</b> An {@link Instant} is bound as a UTC {@code timestamptz} and read back from a
 * {@code timestamptz} column exactly (microseconds); strings, numbers, booleans, arrays ({@code String[]},
 * {@code long[]}), {@link java.util.UUID}s are bound as Jdbi and its PostgreSQL plugin bind them. JSON is bound as
 * text with {@code CAST(:x AS jsonb)} after {@link JsonWrites} has checked it, and read as text.
 *
 * <p>Thread-safe: the one {@link Jdbi} instance is shared; a {@link Handle} lives for one call on one thread.
 */
public final class Sql {

    /** The connection of the call that is opening a handle on this thread. */
    private static final ThreadLocal<Connection> CONNECTION = new ThreadLocal<>();

    /**
     * The call running on this thread, if any. A call made inside another one for the same unit of work reuses its
     * handle: in a container, Hibernate releases a JTA connection after each piece of work, so a nested
     * {@code doReturningWork} would leave the outer handle on a connection that is no longer the transaction's.
     */
    private static final ThreadLocal<Open> OPEN = new ThreadLocal<>();

    private record Open(Session session, Handle handle) {
    }

    private static final Jdbi JDBI = configure(Jdbi.create(new ConnectionFactory() {
        @Override
        public Connection openConnection() {
            Connection connection = CONNECTION.get();
            if (connection == null) {
                throw new IllegalStateException("Sql handles are opened by Sql.call only");
            }
            return connection;
        }

        @Override
        public void closeConnection(Connection connection) {
            // the unit of work owns the connection
        }
    }));

    private Sql() {
    }

    /**
     * Runs {@code work} with a handle on the unit of work's connection and returns its result.
     *
     * @param em      the unit of work's entity manager
     * @param context what is being done, for error messages ({@code "get KvEntry key=a"}); never a secret
     * @param work    the statements
     * @param <T>     the result type
     * @return what {@code work} returned
     * @throws AgentStoreException (or a subclass, as {@link PersistenceErrors} translates) when a statement fails;
     *                             an {@link AgentStoreException} thrown by {@code work} passes unchanged
     */
    public static <T> T call(EntityManager em, String context, Work<T> work) {
        Session session = em.unwrap(Session.class);
        Open outer = OPEN.get();
        try {
            if (outer != null && outer.session() == session) {
                return work.apply(outer.handle()); // nested in a call of the same unit of work: its handle
            }
            return session.doReturningWork(connection -> {
                CONNECTION.set(connection);
                try (Handle handle = JDBI.open()) {
                    OPEN.set(new Open(session, handle));
                    return work.apply(handle);
                } finally {
                    CONNECTION.remove();
                    if (outer == null) {
                        OPEN.remove();
                    } else {
                        OPEN.set(outer);
                    }
                }
            });
        } catch (SQLException e) {
            throw PersistenceErrors.translate(context, new UnableToExecuteStatementException(e, null));
        } catch (RuntimeException e) {
            throw PersistenceErrors.translate(context, unwrap(e));
        }
    }

    /**
     * As {@link #call}, for statements without a result.
     *
     * @param em      the unit of work's entity manager
     * @param context what is being done, for error messages
     * @param work    the statements
     * @throws AgentStoreException when a statement fails (see {@link #call})
     */
    public static void run(EntityManager em, String context, VoidWork work) {
        call(em, context, handle -> {
            work.accept(handle);
            return null;
        });
    }

    /**
     * Named values for {@link org.jdbi.v3.core.statement.SqlStatement#bindMap}: {@code parameters("key", key,
     * "now", now)}. Unlike {@link java.util.Map#of}, a value may be {@code null} (bound as SQL NULL).
     *
     * @param namesAndValues name, value, name, value, …
     * @return the values by name, in the order given
     * @throws IllegalArgumentException when the arguments are not name/value pairs
     */
    public static Map<String, Object> parameters(Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("parameters takes name/value pairs");
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            values.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return values;
    }

    /**
     * Makes the statements that follow part of one transaction. A {@link SingleStatement} method that tried its one
     * statement, found that it wrote nothing and goes on with a read-modify-write calls this first: when a per-call
     * repository runs the method in autocommit mode, autocommit is switched off here, so pgjdbc sends {@code BEGIN}
     * with the next statement and the call commits or rolls back as a whole. In a unit of work or a container the
     * connection is already in a transaction and nothing happens.
     *
     * @param handle the call's handle
     * @throws SQLException when the driver refuses (the connection is broken)
     */
    public static void requireTransaction(Handle handle) throws SQLException {
        if (handle.getConnection().getAutoCommit()) {
            handle.getConnection().setAutoCommit(false);
        }
    }

    /**
     * Whether the handle's connection is in autocommit mode: true in a per-call repository's
     * {@link SingleStatement} method, false in a unit of work or a container transaction.
     *
     * @param handle the call's handle
     * @return the connection's autocommit mode
     * @throws SQLException when the connection is closed
     */
    public static boolean autoCommit(Handle handle) throws SQLException {
        return handle.getConnection().getAutoCommit();
    }

    /**
     * Statements without a result, run with a handle; may throw the driver's {@link SQLException}.
     */
    @FunctionalInterface
    public interface VoidWork {
        /**
         * @param handle a handle on the unit of work's connection, valid during this call only
         * @throws SQLException when the driver refuses a statement
         */
        void accept(Handle handle) throws SQLException;
    }

    /**
     * Statements run with a handle; may throw the driver's {@link SQLException} (translated by {@link #call}).
     *
     * @param <T> the result type
     */
    @FunctionalInterface
    public interface Work<T> {
        /**
         * @param handle a handle on the unit of work's connection, valid during this call only
         * @return the result
         * @throws SQLException when the driver refuses a statement
         */
        T apply(Handle handle) throws SQLException;
    }

    /** Hibernate wraps what the work threw in nothing, but an agentstore exception may arrive as a cause. */
    private static RuntimeException unwrap(RuntimeException e) {
        return e.getCause() instanceof AgentStoreException ase && !(e instanceof AgentStoreException) ? ase : e;
    }

    private static Jdbi configure(Jdbi jdbi) {
        jdbi.installPlugin(new PostgresPlugin());
        jdbi.getConfig(Handles.class).setForceEndTransactions(false);
        jdbi.registerArgument(new AbstractArgumentFactory<Instant>(Types.TIMESTAMP_WITH_TIMEZONE) {
            @Override
            protected Argument build(Instant value, ConfigRegistry config) {
                OffsetDateTime utc = value.atOffset(ZoneOffset.UTC);
                return (position, statement, ctx) -> statement.setObject(position, utc);
            }
        });
        jdbi.registerColumnMapper(Instant.class, (ColumnMapper<Instant>) (rs, column, ctx) -> {
            OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
            return value == null ? null : value.toInstant();
        });
        return jdbi;
    }

    /**
     * Reads a {@code timestamptz} column exactly.
     *
     * @param rs     the row
     * @param column the column's name
     * @return the instant, {@code null} for SQL NULL
     * @throws SQLException when the column is missing or not a timestamp
     */
    public static Instant instant(java.sql.ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    /**
     * Reads a {@code timestamptz} column exactly, by position (for row mappings that read by position).
     *
     * @param rs     the row
     * @param column the column's position, from 1
     * @return the instant, {@code null} for SQL NULL
     * @throws SQLException when the column is missing or not a timestamp
     */
    public static Instant instant(java.sql.ResultSet rs, int column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    /**
     * Runs a bounded {@code DELETE} again and again until one run deletes fewer than {@code batchSize} rows: a purge
     * in batches, in the caller's transaction.
     *
     * @param batch     one bounded statement; returns how many rows it deleted
     * @param batchSize the bound of each statement
     * @return how many rows all runs deleted
     */
    public static long deleteInBatches(IntSupplier batch, int batchSize) {
        long total = 0;
        int deleted;
        do {
            deleted = batch.getAsInt();
            total += deleted;
        } while (deleted >= batchSize);
        return total;
    }

    /**
     * One page of an offset listing, two statements: {@code countSql} ({@code SELECT count(*)}), then, unless the
     * page lies past the end, {@code pageSql} with {@code :limit} and {@code :offset} bound from {@code page}.
     *
     * @param em       the unit of work's entity manager
     * @param context  the operation, named in failures
     * @param countSql counts the matching rows
     * @param pageSql  reads them in order, {@code LIMIT :limit OFFSET :offset}
     * @param values   the parameters both statements bind
     * @param page     the page
     * @param mapper   maps a row of {@code pageSql}
     * @param <T>      the row type
     * @return the page, with the total count
     * @throws dev.agentstore.domain.InvalidInputException when {@code page} is {@code null}
     * @throws AgentStoreException (a typed subclass) when a statement fails
     */
    public static <T> Page<T> page(EntityManager em, String context, String countSql, String pageSql,
                                   Map<String, Object> values, PageRequest page, RowMapper<T> mapper) {
        Check.notNull("page", page);
        return call(em, context, h -> {
            long total = h.createQuery(countSql).bindMap(values).mapTo(long.class).one();
            List<T> items = total <= page.offset() ? List.of() : h.createQuery(pageSql)
                    .bindMap(values)
                    .bind("limit", page.perPage())
                    .bind("offset", page.offset())
                    .map(mapper)
                    .list();
            return Page.of(items, page.page(), page.perPage(), total);
        });
    }
}
