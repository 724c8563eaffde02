package dev.agentstore.persistence.knowledge;

import dev.agentstore.persistence.AgentStore;
import org.hibernate.Session;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/** Helpers for the knowledge tests: index definitions, EXPLAIN output, random vectors. */
final class KnowledgeSqlTestSupport {

    private KnowledgeSqlTestSupport() {
    }

    /** @return the definition of the index named {@code chunks_ann_<base>} in the store's schema, if it exists */
    static Optional<String> indexDefinition(AgentStore store, String base) {
        return store.fromTransaction(uow -> uow.entityManager().unwrap(Session.class).doReturningWork(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?")) {
                ps.setString(1, KnowledgeRepository.INDEX_PREFIX + base);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
                }
            }
        }));
    }

    /** @return a random vector with elements in [-1, 1) */
    static float[] randomVector(Random random, int dimension) {
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++) {
            v[i] = random.nextFloat() * 2 - 1;
        }
        return v;
    }

    /** @return a vector with 1 at {@code axis} and 0 elsewhere */
    static float[] unit(int dimension, int axis) {
        float[] v = new float[dimension];
        v[axis] = 1f;
        return v;
    }

    /** @return the lines of {@code EXPLAIN} for a statement with the given parameters, run after {@code setup} */
    static List<String> explain(java.sql.Connection c, String sql, Object... params) throws java.sql.SQLException {
        List<String> lines = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN " + sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    lines.add(rs.getString(1));
                }
            }
        }
        return lines;
    }
}
