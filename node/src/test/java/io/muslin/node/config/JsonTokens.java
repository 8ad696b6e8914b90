package io.muslin.node.config;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A fuzzer dictionary for the JSON targets: escapes and tokens that byte mutations seldom
 * build (a NUL or a lone surrogate written as an escape, numbers at the edges of their types),
 * so the targets reach what a hand-written file can hold.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@DictionaryEntries({"\\u0000", "\\ud800", "\\udc00", "\\\"", "\\\\", "null", "true", "false", "-0", "1e999", "1.5",
    "2147483648", "9223372036854775808", "-1", "[]", "{}", "\"\":"})
public @interface JsonTokens {
}
