package orderstream.streams;

import java.time.OffsetDateTime;
import java.util.TreeMap;

/**
 * The statistics, as JSON values of the ks-* output topics (snake_case
 * field names, money in integer cents). Aggregators update them in place:
 * Kafka Streams hands each aggregator a freshly deserialized copy.
 */
public final class Stats {
    private Stats() {}

    /** ks-restaurant-stats, keyed by restaurant_id: its valid, distinct orders. */
    public static final class Restaurant {
        public String restaurantId;
        public long orders;
        public long revenueCents;
        public long items;
        public long avgOrderCents;
        public String lastOrderAt;
        /** Units per sku. */
        public TreeMap<String, Long> itemQty = new TreeMap<>();

        Restaurant add(String id, Order o) {
            restaurantId = id;
            orders++;
            revenueCents += o.totalCents();
            avgOrderCents = revenueCents / orders;
            for (Order.Item it : o.items()) {
                items += it.qty();
                itemQty.merge(it.sku(), it.qty(), Long::sum);
            }
            lastOrderAt = later(lastOrderAt, o.placedAt());
            return this;
        }
    }

    /** ks-user-stats, keyed by user_id. */
    public static final class User {
        public String userId;
        public long orders;
        public long spentCents;
        /** Where the user ordered most, ties broken by the smaller id. */
        public String favouriteRestaurant;
        public String lastOrderAt;
        /** Orders per restaurant. */
        public TreeMap<String, Long> restaurants = new TreeMap<>();

        User add(String id, Order o) {
            userId = id;
            orders++;
            spentCents += o.totalCents();
            long n = restaurants.merge(o.restaurantId(), 1L, Long::sum);
            if (favouriteRestaurant == null) {
                favouriteRestaurant = o.restaurantId();
            } else {
                long best = restaurants.getOrDefault(favouriteRestaurant, 0L);
                if (n > best || (n == best && o.restaurantId().compareTo(favouriteRestaurant) < 0)) {
                    favouriteRestaurant = o.restaurantId();
                }
            }
            lastOrderAt = later(lastOrderAt, o.placedAt());
            return this;
        }
    }

    /**
     * ks-global-stats, keyed by shard ("shard-0" ...): the global
     * statistics are the sum of every shard's. A shard sums the restaurants
     * hashed to it, so no one key takes every order.
     */
    public static final class Global {
        public long orders;
        public long revenueCents;
        public long items;
        public long restaurants;
        public long users;

        Global plus(Restaurant r) {
            orders += r.orders;
            revenueCents += r.revenueCents;
            items += r.items;
            restaurants++;
            return this;
        }

        Global minus(Restaurant r) {
            orders -= r.orders;
            revenueCents -= r.revenueCents;
            items -= r.items;
            restaurants--;
            return this;
        }

        Global withUsers(Long n) {
            users = n == null ? 0 : n;
            return this;
        }
    }

    static String later(String a, String b) {
        if (a == null) {
            return b;
        }
        return OffsetDateTime.parse(b).isAfter(OffsetDateTime.parse(a)) ? b : a;
    }
}
