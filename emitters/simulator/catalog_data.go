package simulator

// dish is a menu template: a name and a typical price in cents, which each
// restaurant scales by its price tier.
type dish struct {
	name  string
	cents int64
}

// cuisine is the material a restaurant of one kind is generated from. code
// prefixes the SKUs, so a SKU names the same dish in every restaurant.
type cuisine struct {
	name    string
	code    string
	formats []string // restaurant name formats, one %s
	names   []string
	dishes  []dish
}

// extras are the drinks any restaurant may add after its own dishes.
var extras = []dish{
	{"Still Water", 250}, {"Sparkling Water", 290}, {"Cola", 320},
	{"Lemonade", 390}, {"Iced Tea", 350},
}

// extrasCode prefixes the SKUs of extras.
const extrasCode = "drk"

// cuisines never change after start-up; the catalog of a seed depends on
// their order and content, so edit them knowing the catalog changes too.
var cuisines = []cuisine{
	{
		name: "italian", code: "ita",
		formats: []string{"Trattoria %s", "Pizzeria %s", "Osteria %s", "%s's Kitchen"},
		names:   []string{"Roma", "Luigi", "Bella", "Da Marco", "Sorrento", "Nonna", "Vesuvio"},
		dishes: []dish{
			{"Margherita Pizza", 1090}, {"Diavola Pizza", 1290}, {"Quattro Formaggi", 1350},
			{"Spaghetti Carbonara", 1390}, {"Penne Arrabbiata", 1150}, {"Lasagne", 1490},
			{"Risotto ai Funghi", 1590}, {"Gnocchi al Pesto", 1350}, {"Bruschetta", 690},
			{"Caprese Salad", 890}, {"Minestrone", 750}, {"Saltimbocca", 1990},
			{"Tiramisu", 650}, {"Panna Cotta", 590}, {"Espresso", 250},
		},
	},
	{
		name: "japanese", code: "jpn",
		formats: []string{"Sushi %s", "%s Ramen", "Izakaya %s"},
		names:   []string{"Hana", "Kyo", "Sakura", "Fuji", "Koi", "Yuki", "Momo"},
		dishes: []dish{
			{"Salmon Nigiri", 590}, {"Tuna Maki", 650}, {"California Roll", 890},
			{"Dragon Roll", 1490}, {"Tonkotsu Ramen", 1390}, {"Miso Ramen", 1290},
			{"Chicken Katsu Curry", 1450}, {"Gyoza", 690}, {"Edamame", 450},
			{"Miso Soup", 350}, {"Teriyaki Salmon", 1790}, {"Tempura Udon", 1350},
			{"Sashimi Platter", 2490}, {"Mochi", 490}, {"Green Tea", 290},
		},
	},
	{
		name: "indian", code: "ind",
		formats: []string{"%s Palace", "Taste of %s", "%s Tandoori"},
		names:   []string{"Bombay", "Delhi", "Maharaja", "Kerala", "Punjab", "Goa", "Jaipur"},
		dishes: []dish{
			{"Butter Chicken", 1450}, {"Chicken Tikka Masala", 1450}, {"Lamb Rogan Josh", 1650},
			{"Palak Paneer", 1250}, {"Chana Masala", 1090}, {"Dal Makhani", 1050},
			{"Chicken Biryani", 1550}, {"Vegetable Samosa", 590}, {"Onion Bhaji", 550},
			{"Garlic Naan", 350}, {"Plain Naan", 290}, {"Basmati Rice", 350},
			{"Tandoori Chicken", 1590}, {"Mango Lassi", 450}, {"Gulab Jamun", 490},
		},
	},
	{
		name: "mexican", code: "mex",
		formats: []string{"El %s", "La Casa de %s", "Taqueria %s"},
		names:   []string{"Sol", "Toro", "Jalisco", "Oaxaca", "Luna", "Maria", "Cactus"},
		dishes: []dish{
			{"Beef Burrito", 1190}, {"Chicken Burrito", 1090}, {"Veggie Burrito", 990},
			{"Tacos al Pastor", 1050}, {"Fish Tacos", 1150}, {"Carnitas Tacos", 1090},
			{"Chicken Quesadilla", 990}, {"Nachos Supreme", 1090}, {"Guacamole & Chips", 690},
			{"Enchiladas Verdes", 1250}, {"Chili con Carne", 1150}, {"Elote", 550},
			{"Churros", 590}, {"Horchata", 390}, {"Tortilla Soup", 790},
		},
	},
	{
		name: "american", code: "ame",
		formats: []string{"%s Burgers", "%s Diner", "%s Grill"},
		names:   []string{"Joe's", "Liberty", "Route 66", "Big Sky", "Smoky", "Main Street", "Lucky"},
		dishes: []dish{
			{"Classic Burger", 1190}, {"Cheeseburger", 1290}, {"Bacon Burger", 1450},
			{"Veggie Burger", 1190}, {"Fried Chicken Sandwich", 1250}, {"Hot Dog", 750},
			{"BBQ Ribs", 2190}, {"Buffalo Wings", 1090}, {"Mac & Cheese", 890},
			{"French Fries", 450}, {"Onion Rings", 550}, {"Caesar Salad", 990},
			{"Milkshake", 650}, {"Apple Pie", 590}, {"Brownie", 490},
		},
	},
	{
		name: "thai", code: "tha",
		formats: []string{"%s Thai", "Bangkok %s", "Baan %s"},
		names:   []string{"Siam", "Lotus", "Orchid", "Chang", "Mango Tree", "Krua", "Jasmine"},
		dishes: []dish{
			{"Pad Thai", 1250}, {"Green Curry", 1350}, {"Red Curry", 1350},
			{"Massaman Curry", 1450}, {"Tom Yum Soup", 890}, {"Tom Kha Gai", 890},
			{"Pad See Ew", 1250}, {"Basil Chicken", 1290}, {"Spring Rolls", 650},
			{"Chicken Satay", 790}, {"Papaya Salad", 850}, {"Jasmine Rice", 300},
			{"Sticky Rice", 350}, {"Mango Sticky Rice", 690}, {"Thai Iced Tea", 450},
		},
	},
	{
		name: "chinese", code: "chn",
		formats: []string{"Golden %s", "%s Garden", "Jade %s"},
		names:   []string{"Dragon", "Panda", "Bamboo", "Lotus", "Peking", "Canton", "Phoenix"},
		dishes: []dish{
			{"Kung Pao Chicken", 1290}, {"Sweet and Sour Pork", 1250}, {"Mapo Tofu", 1090},
			{"Beef with Broccoli", 1390}, {"Peking Duck", 2890}, {"Fried Rice", 890},
			{"Chow Mein", 990}, {"Dan Dan Noodles", 1090}, {"Pork Dumplings", 790},
			{"Spring Rolls", 590}, {"Hot and Sour Soup", 650}, {"Char Siu", 1390},
			{"General Tso's Chicken", 1290}, {"Egg Tarts", 450}, {"Jasmine Tea", 290},
		},
	},
	{
		name: "mediterranean", code: "med",
		formats: []string{"%s Taverna", "Cafe %s", "%s Mezze"},
		names:   []string{"Olympia", "Aegean", "Santorini", "Levant", "Beirut", "Cyprus", "Zeytin"},
		dishes: []dish{
			{"Chicken Gyros", 1190}, {"Lamb Souvlaki", 1390}, {"Falafel Wrap", 990},
			{"Shawarma Plate", 1450}, {"Moussaka", 1490}, {"Greek Salad", 990},
			{"Hummus & Pita", 690}, {"Baba Ganoush", 690}, {"Tabbouleh", 650},
			{"Spanakopita", 750}, {"Grilled Halloumi", 890}, {"Lentil Soup", 650},
			{"Baklava", 550}, {"Kunafa", 690}, {"Mint Tea", 290},
		},
	},
}
