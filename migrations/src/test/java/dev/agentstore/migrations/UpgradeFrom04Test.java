package dev.agentstore.migrations;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

import java.sql.SQLException;
import java.util.List;

/**
 * What the tests of a release 0.5 data migration share: before each test a fresh schema migrated up and rolled back
 * to release 0.4, then {@link #seed} writes the rows the migration must carry; SQL helpers over it. One pool per test
 * class (its own instance, so classes running in parallel do not share it); the schemas are dropped after the class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class UpgradeFrom04Test {

    private TestSchemas schemas;

    /** The test's schema, at release 0.4 once {@link #seed} ran; a test migrates it up and back. */
    Migrations migrations;

    @BeforeAll
    void pool() {
        schemas = new TestSchemas();
    }

    @AfterAll
    void close() throws SQLException {
        schemas.close();
    }

    @BeforeEach
    void schemaAt04() throws SQLException {
        migrations = new Migrations(schemas.dataSource, schemas.fresh(prefix()));
        migrations.up();
        migrations.rollbackToTag("0.4");
        seed(migrations.schema());
    }

    /** @return the prefix of the test's schema names */
    abstract String prefix();

    /**
     * Writes the rows of release 0.4 the migration must carry.
     *
     * @param schema the schema, at release 0.4
     * @throws SQLException when a statement fails
     */
    abstract void seed(String schema) throws SQLException;

    void execute(String sql) throws SQLException {
        schemas.execute(sql);
    }

    /** @return each row of {@code sql}, with {@code %s} (or {@code %1$s}) the schema, as its columns joined by spaces */
    List<String> rows(String sql) throws SQLException {
        return schemas.rows(sql.formatted(migrations.schema()));
    }
}
