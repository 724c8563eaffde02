package dev.agentstore.persistence;

import jakarta.persistence.Table;
import org.hibernate.resource.jdbc.spi.StatementInspector;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Hibernate's {@link StatementInspector} for the agentstore persistence unit: refuses any {@code INSERT},
 * {@code UPDATE} or {@code DELETE} that Hibernate generates for one of agentstore's tables (a JPQL or Criteria bulk
 * {@code DELETE}, for which Hibernate has no immutability check, or a write of an entity the other guards missed),
 * with an {@link UnsupportedOperationException} before the statement is sent. The repositories run their SQL on the
 * connection itself ({@code support/Sql}), never through Hibernate, so nothing of theirs passes here; reads pass
 * unchanged, and so do writes of an application's own entities in the same persistence unit.
 *
 * <p>{@link AgentStore} installs it; in a container, set
 * {@code hibernate.session_factory.statement_inspector} to this class's name (the example application's
 * {@code persistence.xml} does). Stateless and thread-safe.
 */
public class ReadOnlyStatementInspector implements StatementInspector {

    private static final long serialVersionUID = 1L;

    private static final Set<String> TABLES = AgentStore.ENTITY_CLASSES.stream()
            .map(type -> type.getAnnotation(Table.class).name().toLowerCase(Locale.ROOT))
            .collect(Collectors.toUnmodifiableSet());

    /** The table a DML statement writes, after an optional schema; Hibernate's SQL is lower case. */
    private static final Pattern DML = Pattern.compile(
            "^\\s*(?:insert\\s+into|update|delete\\s+from)\\s+(?:\"?\\w+\"?\\.)?\"?(\\w+)\"?",
            Pattern.CASE_INSENSITIVE);

    /**
     * @param sql the statement Hibernate is about to prepare
     * @return {@code sql} unchanged
     * @throws UnsupportedOperationException when it writes an agentstore table
     */
    @Override
    public String inspect(String sql) {
        Matcher m = DML.matcher(sql);
        if (m.find() && TABLES.contains(m.group(1).toLowerCase(Locale.ROOT))) {
            throw new UnsupportedOperationException("table " + m.group(1) + " is read-only to JPA: write it through"
                    + " agentstore's repositories (they keep the store's rules: versions, validation, read-modify-write"
                    + " checks)");
        }
        return sql;
    }
}
