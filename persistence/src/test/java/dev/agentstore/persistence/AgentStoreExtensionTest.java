package dev.agentstore.persistence;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(AgentStoreExtension.class)
class AgentStoreExtensionTest {

    private final AgentStore outerStore;
    private final MutableClock outerClock;

    AgentStoreExtensionTest(AgentStore store, MutableClock clock) {
        this.outerStore = store;
        this.outerClock = clock;
    }

    @Nested
    class ANestedClassOfTheTestClass {

        @Test
        void getsTheStoreAndClockOfItsTopLevelClass(AgentStore store, MutableClock clock, AgentStoreConfig config) {
            assertThat(store).isSameAs(outerStore);
            assertThat(clock).isSameAs(outerClock);
            assertThat(config).isSameAs(outerStore.config());
        }

        @Test
        void opensNoStoreOrSchemaOfItsOwn(AgentStore store) throws Exception {
            String prefix = "t_" + getClass().getSimpleName().toLowerCase() + "_";
            try (Connection c = store.dataSource().getConnection();
                 PreparedStatement ps = c.prepareStatement(
                         "SELECT count(*) FROM information_schema.schemata WHERE starts_with(schema_name, ?)")) {
                ps.setString(1, prefix);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getLong(1)).isZero();
                }
            }
        }

        @Nested
        class AndANestedClassInsideIt {

            @Test
            void getsTheSameStoreToo(AgentStore store) {
                assertThat(store).isSameAs(outerStore);
            }
        }
    }
}
