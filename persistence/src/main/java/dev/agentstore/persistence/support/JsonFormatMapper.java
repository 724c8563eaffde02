package dev.agentstore.persistence.support;

import dev.agentstore.domain.json.Json;
import org.hibernate.type.descriptor.WrapperOptions;
import org.hibernate.type.descriptor.java.JavaType;
import org.hibernate.type.format.FormatMapper;
import org.hibernate.type.format.jackson.JacksonJsonFormatMapper;

/**
 * Hibernate's JSON format mapper for agentstore's {@code jsonb} columns: Hibernate's own Jackson mapper, configured
 * with {@link Json#MAPPER} so that entities read JSON exactly as the repositories do (decimals as
 * {@link java.math.BigDecimal}, never rounded through {@code double}) and accept what they accept: everything up to
 * {@link dev.agentstore.domain.json.JsonLimits#CEILINGS}, so any value a store wrote reads back. It does not check
 * what it writes: the repositories check each JSON value against the store's limits ({@link JsonWrites}) before
 * anything is written, naming the field. {@code AgentStore} installs it; in a {@code persistence.xml} name it in
 * {@code hibernate.type.json_format_mapper}.
 */
public final class JsonFormatMapper implements FormatMapper {

    private final FormatMapper delegate = new JacksonJsonFormatMapper(Json.MAPPER);

    /** Creates the mapper; Hibernate instantiates it by class name. */
    public JsonFormatMapper() {
    }

    @Override
    public <T> T fromString(CharSequence charSequence, JavaType<T> javaType, WrapperOptions wrapperOptions) {
        return delegate.fromString(charSequence, javaType, wrapperOptions);
    }

    @Override
    public <T> String toString(T value, JavaType<T> javaType, WrapperOptions wrapperOptions) {
        return delegate.toString(value, javaType, wrapperOptions);
    }
}
