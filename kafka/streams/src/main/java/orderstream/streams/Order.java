package orderstream.streams;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * An order as it travels on "orders", and the rules it must pass: the same
 * as orderstream's order.Validate and order.CheckID (order/order.go,
 * order/id.go), with the same reasons.
 */
public record Order(
        @JsonProperty("order_id") String orderId,
        @JsonProperty("restaurant_id") String restaurantId,
        @JsonProperty("user_id") String userId,
        @JsonProperty("items") List<Item> items,
        @JsonProperty("total_cents") long totalCents,
        @JsonProperty("placed_at") String placedAt) {

    public record Item(
            @JsonProperty("sku") String sku,
            @JsonProperty("qty") long qty,
            @JsonProperty("price_cents") long priceCents) {}

    static final int MAX_ITEMS = 100;
    static final long MAX_QTY = 10_000;
    static final long MAX_PRICE_CENTS = 100_000_000;
    static final int MAX_ID_LEN = 128;

    /** Why an order is refused: the reason goes in the dead letter's header. */
    public static final class Invalid extends Exception {
        final String reason;

        Invalid(String reason, String detail) {
            super(reason + ": " + detail);
            this.reason = reason;
        }
    }

    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, false)
            .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true);

    /** Decodes and validates one record of "orders". */
    public static Order parse(byte[] value) throws Invalid {
        if (value == null) {
            throw new Invalid("malformed_json", "no value");
        }
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(value));
        } catch (CharacterCodingException e) {
            throw new Invalid("malformed_json", "record is not valid UTF-8");
        }
        Order o;
        try {
            o = JSON.readValue(value, Order.class);
        } catch (Exception e) {
            throw new Invalid("malformed_json", e.getMessage());
        }
        if (o == null) {
            throw new Invalid("malformed_json", "null");
        }
        o.validate();
        return o;
    }

    void validate() throws Invalid {
        checkID("order_id", orderId, "missing_order_id");
        checkID("restaurant_id", restaurantId, "missing_restaurant_id");
        checkID("user_id", userId, "missing_user_id");
        if (items == null || items.isEmpty()) {
            throw new Invalid("no_items", "an order needs at least one item");
        }
        if (items.size() > MAX_ITEMS) {
            throw new Invalid("too_many_items", items.size() + " items, at most " + MAX_ITEMS);
        }
        for (int i = 0; i < items.size(); i++) {
            Item it = items.get(i);
            if (it == null) {
                throw new Invalid("missing_sku", "item " + i + " is null");
            }
            checkID("item " + i + " sku", it.sku(), "missing_sku");
            if (it.qty() < 1 || it.qty() > MAX_QTY) {
                throw new Invalid("bad_qty", "item " + i + " qty " + it.qty());
            }
            if (it.priceCents() < 0 || it.priceCents() > MAX_PRICE_CENTS) {
                throw new Invalid("bad_price", "item " + i + " price_cents " + it.priceCents());
            }
        }
        if (sum() != totalCents) {
            throw new Invalid("total_mismatch", "total_cents " + totalCents + ", items sum to " + sum());
        }
        if (placedAt == null || placedAt.isEmpty()) {
            throw new Invalid("missing_placed_at", "placed_at is missing");
        }
        try {
            if (OffsetDateTime.parse(placedAt).toInstant().equals(GO_ZERO_TIME)) {
                throw new Invalid("missing_placed_at", "placed_at is missing");
            }
        } catch (DateTimeParseException e) {
            throw new Invalid("malformed_json", "placed_at: " + e.getMessage());
        }
    }

    /** Go's zero time.Time, which orderstream treats as a missing placed_at. */
    static final java.time.Instant GO_ZERO_TIME = java.time.Instant.parse("0001-01-01T00:00:00Z");

    /** The sum of qty x price_cents. */
    long sum() {
        long s = 0;
        for (Item it : items) {
            s += it.qty() * it.priceCents();
        }
        return s;
    }

    /** The number of units ordered. */
    long quantity() {
        long n = 0;
        for (Item it : items) {
            n += it.qty();
        }
        return n;
    }

    /** orderstream's id alphabet (order/id.go, CheckID). */
    static void checkID(String what, String id, String missing) throws Invalid {
        if (id == null || id.isEmpty()) {
            throw new Invalid(missing, what + " is empty");
        }
        if (id.getBytes(StandardCharsets.UTF_8).length > MAX_ID_LEN) {
            throw new Invalid("id_too_long", what + " longer than " + MAX_ID_LEN + " bytes");
        }
        int first = id.codePointAt(0), last = id.codePointBefore(id.length());
        if (isSpace(first) || isSpace(last)) {
            throw new Invalid("bad_id", what + " starts or ends with white space");
        }
        for (int i = 0; i < id.length(); ) {
            int r = id.codePointAt(i);
            if (Character.getType(r) == Character.CONTROL || r == '/' || r == '\\' || r == 0xFFFD
                    || Character.isSurrogate((char) r)) {
                throw new Invalid("bad_id", what + " has character U+" + Integer.toHexString(r).toUpperCase());
            }
            i += Character.charCount(r);
        }
    }

    /** Go's unicode.IsSpace. */
    static boolean isSpace(int r) {
        return switch (r) {
            case '\t', '\n', 0x0B, '\f', '\r', ' ', 0x85, 0xA0 -> true;
            default -> r > 0xFF && Character.isSpaceChar(r);
        };
    }
}
