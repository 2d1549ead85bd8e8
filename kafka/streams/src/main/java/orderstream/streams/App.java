package orderstream.streams;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The Kafka Streams reference application: orderstream's restaurant, user
 * and global statistics from "orders", exactly once.
 *
 * <pre>
 * orders ─ parse ─┬─ invalid ─────────────────────────────→ ks-orders-dlq (header "reason")
 *                 └─ valid ─ by order_id ─ dedupe ─┬─ by restaurant ─ aggregate ─→ ks-restaurant-stats
 *                                                  │     └─ by shard ─ sum ───┐
 *                                                  └─ by user ─ aggregate ─→ ks-user-stats
 *                                                        └─ by shard ─ count ─┴─ join ─→ ks-global-stats
 * </pre>
 *
 * Usage: App BOOTSTRAP APPLICATION_ID STATE_DIR THREADS
 */
public final class App {
    public static final String INPUT = "orders";
    public static final String DLQ = "ks-orders-dlq";
    public static final String RESTAURANTS = "ks-restaurant-stats";
    public static final String USERS = "ks-user-stats";
    public static final String GLOBAL = "ks-global-stats";

    /** The number of global shards: the global statistics are spread over this many keys. */
    static final int SHARDS = 3;

    static String shard(String key) {
        return "shard-" + Math.floorMod(key.hashCode(), SHARDS);
    }

    /** A record of "orders", parsed: an order, or the reason it is refused. */
    record Parsed(Order order, String reason, byte[] raw) {}

    /** Parses each order; an invalid one gets its reason as the header "reason". */
    static final class Parse implements FixedKeyProcessor<String, byte[], Parsed> {
        private FixedKeyProcessorContext<String, Parsed> ctx;

        @Override
        public void init(FixedKeyProcessorContext<String, Parsed> ctx) {
            this.ctx = ctx;
        }

        @Override
        public void process(FixedKeyRecord<String, byte[]> r) {
            try {
                ctx.forward(r.withValue(new Parsed(Order.parse(r.value()), null, r.value())));
            } catch (Order.Invalid e) {
                r.headers().add("reason", e.reason.getBytes(StandardCharsets.UTF_8));
                String detail = e.getMessage() == null ? e.reason : e.getMessage();
                r.headers().add("detail", detail.getBytes(StandardCharsets.UTF_8));
                ctx.forward(r.withValue(new Parsed(null, e.reason, r.value())));
            }
        }
    }

    /** Passes the first copy of each order id (the key), drops the others. */
    static final class Dedupe implements FixedKeyProcessor<String, Order, Order> {
        static final String STORE = "seen-order-ids";
        private FixedKeyProcessorContext<String, Order> ctx;
        private KeyValueStore<String, Long> seen;

        @Override
        public void init(FixedKeyProcessorContext<String, Order> ctx) {
            this.ctx = ctx;
            this.seen = ctx.getStateStore(STORE);
        }

        @Override
        public void process(FixedKeyRecord<String, Order> r) {
            if (seen.putIfAbsent(r.key(), r.timestamp()) == null) {
                ctx.forward(r);
            }
        }
    }

    public static Topology topology() {
        Serde<String> str = Serdes.String();
        Serde<Order> orderSerde = JsonSerde.of(Order.class);
        Serde<Stats.Restaurant> restSerde = JsonSerde.of(Stats.Restaurant.class);
        Serde<Stats.User> userSerde = JsonSerde.of(Stats.User.class);
        Serde<Stats.Global> globalSerde = JsonSerde.of(Stats.Global.class);

        StreamsBuilder b = new StreamsBuilder();
        b.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(Dedupe.STORE), str, Serdes.Long()));

        Map<String, KStream<String, Parsed>> parsed = b
                .stream(INPUT, Consumed.with(str, Serdes.ByteArray()).withName("orders"))
                .processValues(Parse::new, Named.as("parse"))
                .split(Named.as("orders-"))
                .branch((k, p) -> p.order() != null, Branched.as("valid"))
                .defaultBranch(Branched.as("invalid"));
        parsed.get("orders-invalid")
                .mapValues(Parsed::raw, Named.as("raw"))
                .to(DLQ, Produced.with(str, Serdes.ByteArray()));

        KStream<String, Order> orders = parsed.get("orders-valid")
                .map((k, p) -> KeyValue.pair(p.order().orderId(), p.order()), Named.as("by-order-id"))
                .repartition(Repartitioned.with(str, orderSerde).withName("orders-by-id"))
                .processValues(Dedupe::new, Named.as("dedupe"), Dedupe.STORE);

        KTable<String, Stats.Restaurant> restaurants = orders
                .groupBy((id, o) -> o.restaurantId(), Grouped.with("orders-by-restaurant", str, orderSerde))
                .aggregate(Stats.Restaurant::new, (id, o, s) -> s.add(id, o),
                        Materialized.<String, Stats.Restaurant, KeyValueStore<Bytes, byte[]>>as("restaurant-stats")
                                .withKeySerde(str).withValueSerde(restSerde));
        restaurants.toStream().to(RESTAURANTS, Produced.with(str, restSerde));

        KTable<String, Stats.User> users = orders
                .groupBy((id, o) -> o.userId(), Grouped.with("orders-by-user", str, orderSerde))
                .aggregate(Stats.User::new, (id, o, s) -> s.add(id, o),
                        Materialized.<String, Stats.User, KeyValueStore<Bytes, byte[]>>as("user-stats")
                                .withKeySerde(str).withValueSerde(userSerde));
        users.toStream().to(USERS, Produced.with(str, userSerde));

        // The global statistics: the restaurants' sums and the number of
        // distinct users, each per shard, joined by shard.
        KTable<String, Stats.Global> sums = restaurants
                .groupBy((id, s) -> KeyValue.pair(shard(id), s), Grouped.with("restaurants-by-shard", str, restSerde))
                .aggregate(Stats.Global::new, (k, s, g) -> g.plus(s), (k, s, g) -> g.minus(s),
                        Materialized.<String, Stats.Global, KeyValueStore<Bytes, byte[]>>as("global-sums")
                                .withKeySerde(str).withValueSerde(globalSerde));
        KTable<String, Long> distinctUsers = users
                .groupBy((id, s) -> KeyValue.pair(shard(id), id), Grouped.with("users-by-shard", str, str))
                .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("global-users")
                        .withKeySerde(str).withValueSerde(Serdes.Long()));
        sums.leftJoin(distinctUsers, Stats.Global::withUsers,
                        Materialized.<String, Stats.Global, KeyValueStore<Bytes, byte[]>>as("global-stats")
                                .withKeySerde(str).withValueSerde(globalSerde))
                .toStream()
                .to(GLOBAL, Produced.with(str, globalSerde));
        return b.build();
    }

    /** Creates the output topics that do not exist yet: compacted, with the partitions of "orders". */
    static void createTopics(Properties props) throws InterruptedException, ExecutionException {
        try (Admin admin = Admin.create(props)) {
            int partitions = inputPartitions(props);
            List<NewTopic> topics = new ArrayList<>();
            topics.add(new NewTopic(DLQ, java.util.Optional.of(partitions), java.util.Optional.empty()));
            for (String t : List.of(RESTAURANTS, USERS, GLOBAL)) {
                topics.add(new NewTopic(t, java.util.Optional.of(partitions), java.util.Optional.empty())
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
            }
            Set<String> existing = admin.listTopics().names().get();
            topics.removeIf(t -> existing.contains(t.name()));
            if (topics.isEmpty()) {
                return;
            }
            for (var f : admin.createTopics(topics).values().entrySet()) {
                try {
                    f.getValue().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
    }

    /**
     * The partitions of "orders", from a consumer's metadata request (the
     * Metadata API, which every broker answers; the admin client's
     * describeTopics uses a newer one).
     */
    static int inputPartitions(Properties props) {
        Properties p = new Properties();
        p.putAll(props);
        try (var c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<PartitionInfo> parts = c.partitionsFor(INPUT, Duration.ofMinutes(1));
            if (parts == null || parts.isEmpty()) {
                throw new IllegalStateException("topic " + INPUT + " does not exist");
            }
            return parts.size();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: App BOOTSTRAP APPLICATION_ID STATE_DIR THREADS");
            System.exit(2);
        }
        Properties props = new Properties();
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, args[1]);
        props.put(StreamsConfig.STATE_DIR_CONFIG, args[2]);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(args[3]));
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1); // the broker's default
        Properties admin = new Properties();
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        createTopics(admin);

        KafkaStreams streams = new KafkaStreams(topology(), props);
        CountDownLatch done = new CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            System.out.println("state " + now);
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                done.countDown();
            }
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close();
            done.countDown();
        }));
        streams.start();
        done.await();
        streams.close();
        System.exit(streams.state() == KafkaStreams.State.ERROR ? 1 : 0);
    }
}
