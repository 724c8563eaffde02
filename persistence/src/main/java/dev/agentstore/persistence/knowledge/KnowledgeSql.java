package dev.agentstore.persistence.knowledge;

import dev.agentstore.domain.knowledge.Distance;
import dev.agentstore.domain.knowledge.IndexSpec;
import dev.agentstore.domain.knowledge.KnowledgeBase;
import dev.agentstore.domain.knowledge.VectorType;

/**
 * The SQL that depends on a knowledge base's definition: index DDL, the cast of the embedding column that the base's
 * partial expression index is built on, and the base's predicate. These are the only places where text that is not
 * a bind parameter enters SQL, and all of it comes from a {@link KnowledgeBase} read from the database: its name
 * (validated against {@value KnowledgeBase#NAME_PATTERN} in Java and by a CHECK constraint, so it never contains a
 * quote), its dimension (an int), and enum constants. PostgreSQL cannot take identifiers, type modifiers or partial
 * index predicates as parameters: a search must spell out {@code knowledge_base = 'docs'} and
 * {@code ::vector(384)} for the planner to match the base's partial index.
 */
final class KnowledgeSql {

    /** Prefix of every per-base index name; nothing else in the schema uses it. */
    static final String INDEX_PREFIX = "chunks_ann_";

    private KnowledgeSql() {
    }

    static String indexName(KnowledgeBase kb) {
        return INDEX_PREFIX + safeName(kb);
    }

    /**
     * The predicate of the base's partial index, which every statement that should use the index repeats: the base's
     * name and its dimension (all its chunks have it: a foreign key on {@code (knowledge_base, dimension)}). The
     * dimension keeps out of an index build the chunks of an earlier base of the same name and another dimension,
     * deleted but still in the table for older snapshots (or for the deleting transaction itself), whose cast to
     * the new type would fail the build; indexes built before with the name alone still serve these statements.
     *
     * @return {@code knowledge_base = '<name>' AND dimension = <dimension>}
     */
    static String basePredicate(KnowledgeBase kb) {
        return "knowledge_base = " + nameLiteral(kb) + " AND dimension = " + kb.dimension();
    }

    /** @return the base's name as an SQL string literal, {@code '<name>'} */
    static String nameLiteral(KnowledgeBase kb) {
        return "'" + safeName(kb) + "'";
    }

    /** @return the indexed expression, for example {@code (embedding::vector(384))} */
    static String embeddingExpression(KnowledgeBase kb) {
        return "(embedding::" + typeName(kb.vectorType()) + "(" + kb.dimension() + "))";
    }

    /**
     * @param parameter the parameter's name
     * @return the cast of a bound query vector to the base's type, for example {@code CAST(:query AS vector(384))}
     */
    static String queryParameter(KnowledgeBase kb, String parameter) {
        return "CAST(:" + parameter + " AS " + typeName(kb.vectorType()) + "(" + kb.dimension() + "))";
    }

    /**
     * {@link #queryParameter} in a scalar subquery, {@code (SELECT CAST(:query AS vector(384)))}, which PostgreSQL
     * evaluates once per statement (an InitPlan). Inline, a generic plan (the search's
     * {@code plan_cache_mode = force_generic_plan}) converted the bound {@code real[]} to a vector again for every
     * row it ranked: an exact scan of 20,000 chunks of 384 dimensions ran at half the speed. An index scan takes the
     * InitPlan's value as its ordering argument as it took the cast.
     *
     * @param parameter the parameter's name
     * @return the query vector, converted once
     */
    static String queryVector(KnowledgeBase kb, String parameter) {
        return "(SELECT " + queryParameter(kb, parameter) + ")";
    }

    static String operator(Distance distance) {
        return switch (distance) {
            case COSINE -> "<=>";
            case L2 -> "<->";
            case INNER_PRODUCT -> "<#>";
        };
    }

    /** @return the DDL creating the base's index, or {@code null} for {@link IndexSpec#none()} */
    static String createIndex(KnowledgeBase kb) {
        IndexSpec index = kb.index();
        String method;
        String with;
        switch (index.type()) {
            case HNSW -> {
                method = "hnsw";
                with = "m = " + index.m() + ", ef_construction = " + index.efConstruction();
            }
            case IVFFLAT -> {
                method = "ivfflat";
                with = "lists = " + index.lists();
            }
            default -> {
                return null;
            }
        }
        return "CREATE INDEX " + indexName(kb) + " ON chunks USING " + method + " (" + embeddingExpression(kb) + " "
                + operatorClass(kb) + ") WITH (" + with + ") WHERE " + basePredicate(kb);
    }

    static String dropIndex(KnowledgeBase kb) {
        return "DROP INDEX IF EXISTS " + indexName(kb);
    }

    private static String operatorClass(KnowledgeBase kb) {
        String suffix = switch (kb.distance()) {
            case COSINE -> "_cosine_ops";
            case L2 -> "_l2_ops";
            case INNER_PRODUCT -> "_ip_ops";
        };
        return typeName(kb.vectorType()) + suffix;
    }

    private static String typeName(VectorType type) {
        return type == VectorType.VECTOR ? "vector" : "halfvec";
    }

    /** Re-checks the name right where it enters SQL (defence in depth: it was checked on the way in, too). */
    private static String safeName(KnowledgeBase kb) {
        return KnowledgeBase.requireName(kb.name());
    }
}
