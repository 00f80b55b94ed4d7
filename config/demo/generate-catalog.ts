// Generates config/demo/catalog.json, the demo store's seed: a small Chinese
// neighbourhood supermarket. Brands are invented (so no real company's GTINs are
// claimed) but names, sizes, prices and VAT rates are what such a shop carries.
// Deterministic: the same script always writes the same file (a test checks it).
//   npx tsx config/demo/generate-catalog.ts > config/demo/catalog.json
import { withCheckDigit } from '../../edge/catalog/gtin.js';

type Name = { zh: string; en: string };
const VAT = { general: 1300, food: 900 } as const; // China VAT: 13% goods, 9% farm produce, grain, oil, dairy

const categories: { id: string; parent?: string; name: Name }[] = [
  { id: 'food', name: { zh: '食品', en: 'Food' } },
  { id: 'drinks', name: { zh: '酒水饮料', en: 'Drinks' } },
  { id: 'nonfood', name: { zh: '日用百货', en: 'Household & Personal Care' } },
  { id: 'fresh', name: { zh: '生鲜', en: 'Fresh' } },
  { id: 'water', parent: 'drinks', name: { zh: '饮用水', en: 'Bottled Water' } },
  { id: 'tea-drinks', parent: 'drinks', name: { zh: '茶饮料', en: 'Tea Drinks' } },
  { id: 'soft-drinks', parent: 'drinks', name: { zh: '碳酸饮料', en: 'Soft Drinks' } },
  { id: 'juice', parent: 'drinks', name: { zh: '果汁', en: 'Juice' } },
  { id: 'coffee', parent: 'drinks', name: { zh: '咖啡', en: 'Coffee' } },
  { id: 'beer', parent: 'drinks', name: { zh: '啤酒', en: 'Beer' } },
  { id: 'spirits', parent: 'drinks', name: { zh: '白酒', en: 'Baijiu & Spirits' } },
  { id: 'dairy', parent: 'food', name: { zh: '乳制品', en: 'Dairy' } },
  { id: 'snacks', parent: 'food', name: { zh: '休闲零食', en: 'Snacks' } },
  { id: 'biscuits', parent: 'food', name: { zh: '饼干糕点', en: 'Biscuits & Cakes' } },
  { id: 'instant', parent: 'food', name: { zh: '方便速食', en: 'Instant Food' } },
  { id: 'grain-oil', parent: 'food', name: { zh: '米面粮油', en: 'Rice, Flour & Oil' } },
  { id: 'condiments', parent: 'food', name: { zh: '调味品', en: 'Condiments' } },
  { id: 'frozen', parent: 'food', name: { zh: '冷冻食品', en: 'Frozen' } },
  { id: 'personal-care', parent: 'nonfood', name: { zh: '个人护理', en: 'Personal Care' } },
  { id: 'cleaning', parent: 'nonfood', name: { zh: '家庭清洁', en: 'Cleaning' } },
  { id: 'paper', parent: 'nonfood', name: { zh: '纸品', en: 'Paper' } },
  { id: 'fruit', parent: 'fresh', name: { zh: '水果', en: 'Fruit' } },
  { id: 'vegetables', parent: 'fresh', name: { zh: '蔬菜', en: 'Vegetables' } },
  { id: 'meat', parent: 'fresh', name: { zh: '肉禽', en: 'Meat & Poultry' } },
];

// [id, zh, en, GS1 company number (7 digits after the 69 country prefix)]
const brands: [string, string, string, string][] = [
  ['qingquan', '青泉', 'Qingquan', '6911001'],
  ['chaxiang', '茶香坊', 'Chaxiang', '6911002'],
  ['bingfeng', '冰峰', 'Bingfeng', '6911003'],
  ['guoyuan', '果园鲜', 'Guoyuan Fresh', '6911004'],
  ['moka', '摩卡时光', 'Moka Time', '6911005'],
  ['haibin', '海滨', 'Haibin', '6911006'],
  ['laojiao', '老窖坊', 'Laojiao', '6911007'],
  ['caoyuan', '草原牧场', 'Grassland Farm', '6922001'],
  ['xiaoxiong', '小熊', 'Little Bear', '6922002'],
  ['tianle', '天乐', 'Tianle', '6922003'],
  ['mianguan', '面馆', 'Noodle House', '6922004'],
  ['wuguxiang', '五谷香', 'Wugu', '6922005'],
  ['jiangyuan', '酱园', 'Jiangyuan', '6922006'],
  ['beifang', '北方人家', 'Northern Home', '6922007'],
  ['qingshuang', '清爽', 'Qingshuang', '6933001'],
  ['jiejing', '洁净家', 'Jiejing Home', '6933002'],
  ['rouruan', '柔软', 'Rouruan', '6933003'],
];

// [brand, category, zh, en, variants [size, priceFen]...], taxRate, minAge
type Line = [string, string, string, string, [string, number][], number?, number?];
const lines: Line[] = [
  [
    'qingquan',
    'water',
    '天然矿泉水',
    'Natural Mineral Water',
    [
      ['550ml', 200],
      ['1.5L', 400],
      ['4L', 850],
      ['380ml×12', 1980],
    ],
  ],
  [
    'qingquan',
    'water',
    '饮用纯净水',
    'Purified Water',
    [
      ['555ml', 150],
      ['1.5L', 300],
      ['5L', 750],
    ],
  ],
  [
    'qingquan',
    'water',
    '苏打水 原味',
    'Soda Water Original',
    [
      ['410ml', 450],
      ['410ml×15', 5900],
    ],
  ],
  [
    'chaxiang',
    'tea-drinks',
    '冰红茶',
    'Iced Black Tea',
    [
      ['500ml', 300],
      ['1L', 500],
      ['2L', 800],
      ['500ml×15', 3990],
    ],
  ],
  [
    'chaxiang',
    'tea-drinks',
    '绿茶 低糖',
    'Green Tea Low Sugar',
    [
      ['500ml', 300],
      ['1L', 500],
      ['500ml×15', 3990],
    ],
  ],
  [
    'chaxiang',
    'tea-drinks',
    '茉莉花茶',
    'Jasmine Tea',
    [
      ['500ml', 300],
      ['1L', 500],
    ],
  ],
  [
    'chaxiang',
    'tea-drinks',
    '乌龙茶 无糖',
    'Oolong Tea Unsweetened',
    [
      ['500ml', 550],
      ['900ml', 800],
    ],
  ],
  [
    'chaxiang',
    'tea-drinks',
    '柠檬红茶',
    'Lemon Black Tea',
    [
      ['250ml×6', 1290],
      ['500ml', 350],
    ],
  ],
  [
    'bingfeng',
    'soft-drinks',
    '橙味汽水',
    'Orange Soda',
    [
      ['330ml', 250],
      ['600ml', 350],
      ['2L', 750],
    ],
  ],
  [
    'bingfeng',
    'soft-drinks',
    '可乐型汽水',
    'Cola',
    [
      ['330ml', 250],
      ['500ml', 350],
      ['2L', 750],
      ['330ml×24', 4990],
    ],
  ],
  [
    'bingfeng',
    'soft-drinks',
    '零度 可乐',
    'Cola Zero',
    [
      ['330ml', 250],
      ['500ml', 350],
    ],
  ],
  [
    'bingfeng',
    'soft-drinks',
    '柠檬味汽水',
    'Lemon Soda',
    [
      ['330ml', 250],
      ['500ml', 350],
    ],
  ],
  [
    'guoyuan',
    'juice',
    '100%橙汁',
    '100% Orange Juice',
    [
      ['300ml', 690],
      ['1L', 1590],
    ],
  ],
  [
    'guoyuan',
    'juice',
    '100%苹果汁',
    '100% Apple Juice',
    [
      ['300ml', 690],
      ['1L', 1590],
    ],
  ],
  [
    'guoyuan',
    'juice',
    '芒果汁饮料',
    'Mango Juice Drink',
    [
      ['450ml', 450],
      ['1L', 890],
    ],
  ],
  [
    'guoyuan',
    'juice',
    '椰子水',
    'Coconut Water',
    [
      ['330ml', 790],
      ['1L', 1990],
    ],
  ],
  [
    'moka',
    'coffee',
    '即饮拿铁咖啡',
    'Ready-to-Drink Latte',
    [
      ['268ml', 690],
      ['268ml×6', 3690],
    ],
  ],
  [
    'moka',
    'coffee',
    '美式黑咖啡',
    'Americano Black Coffee',
    [
      ['268ml', 590],
      ['280ml×15', 6900],
    ],
  ],
  [
    'moka',
    'coffee',
    '速溶咖啡 原味',
    'Instant Coffee Original',
    [
      ['15g×20', 3290],
      ['15g×48', 6990],
    ],
  ],
  ['moka', 'coffee', '挂耳咖啡 中度烘焙', 'Drip Bag Coffee Medium Roast', [['10g×10', 3990]]],
  [
    'haibin',
    'beer',
    '清爽啤酒',
    'Lager Beer',
    [
      ['500ml', 450],
      ['330ml×6', 1990],
      ['500ml×12', 4590],
    ],
    VAT.general,
    18,
  ],
  [
    'haibin',
    'beer',
    '纯生啤酒',
    'Draft Beer',
    [
      ['500ml', 650],
      ['500ml×12', 6990],
    ],
    VAT.general,
    18,
  ],
  [
    'haibin',
    'beer',
    '精酿小麦啤酒',
    'Craft Wheat Beer',
    [
      ['330ml', 1290],
      ['750ml', 2990],
    ],
    VAT.general,
    18,
  ],
  [
    'laojiao',
    'spirits',
    '浓香型白酒 52度',
    'Strong-Aroma Baijiu 52%',
    [
      ['100ml', 1590],
      ['500ml', 12800],
    ],
    VAT.general,
    18,
  ],
  [
    'laojiao',
    'spirits',
    '清香型白酒 42度',
    'Light-Aroma Baijiu 42%',
    [
      ['125ml', 1200],
      ['500ml', 6800],
    ],
    VAT.general,
    18,
  ],
  ['laojiao', 'spirits', '黄酒 五年陈', 'Yellow Rice Wine 5 Years', [['500ml', 2590]], VAT.general, 18],
  [
    'caoyuan',
    'dairy',
    '纯牛奶',
    'Whole Milk',
    [
      ['250ml', 350],
      ['250ml×12', 5990],
      ['1L', 1290],
    ],
    VAT.food,
  ],
  [
    'caoyuan',
    'dairy',
    '低脂牛奶',
    'Low-Fat Milk',
    [
      ['250ml×12', 5490],
      ['950ml', 1390],
    ],
    VAT.food,
  ],
  [
    'caoyuan',
    'dairy',
    '鲜牛奶 巴氏杀菌',
    'Fresh Pasteurised Milk',
    [
      ['950ml', 1590],
      ['450ml', 890],
    ],
    VAT.food,
  ],
  [
    'caoyuan',
    'dairy',
    '原味酸奶',
    'Plain Yogurt',
    [
      ['200g', 590],
      ['100g×8', 2390],
    ],
    VAT.food,
  ],
  [
    'caoyuan',
    'dairy',
    '草莓味酸奶',
    'Strawberry Yogurt',
    [
      ['200g', 590],
      ['100g×8', 2390],
    ],
    VAT.food,
  ],
  [
    'caoyuan',
    'dairy',
    '希腊式酸奶',
    'Greek-Style Yogurt',
    [
      ['135g', 790],
      ['400g', 1990],
    ],
    VAT.food,
  ],
  ['caoyuan', 'dairy', '奶酪棒', 'Cheese Sticks', [['20g×10', 3490]], VAT.food],
  [
    'xiaoxiong',
    'snacks',
    '原味薯片',
    'Potato Chips Original',
    [
      ['70g', 790],
      ['135g', 1290],
    ],
  ],
  [
    'xiaoxiong',
    'snacks',
    '黄瓜味薯片',
    'Potato Chips Cucumber',
    [
      ['70g', 790],
      ['135g', 1290],
    ],
  ],
  [
    'xiaoxiong',
    'snacks',
    '番茄味薯片',
    'Potato Chips Tomato',
    [
      ['70g', 790],
      ['135g', 1290],
    ],
  ],
  [
    'xiaoxiong',
    'snacks',
    '每日坚果',
    'Daily Mixed Nuts',
    [
      ['25g×7', 3990],
      ['25g×30', 12900],
    ],
  ],
  ['xiaoxiong', 'snacks', '开心果', 'Pistachios', [['150g', 2990]]],
  ['xiaoxiong', 'snacks', '黑巧克力 70%', 'Dark Chocolate 70%', [['100g', 1590]]],
  [
    'xiaoxiong',
    'snacks',
    '牛奶巧克力',
    'Milk Chocolate',
    [
      ['100g', 1290],
      ['43g', 590],
    ],
  ],
  ['xiaoxiong', 'snacks', '牛肉干 五香', 'Spiced Beef Jerky', [['100g', 3290]]],
  ['xiaoxiong', 'snacks', '海苔', 'Seaweed Snack', [['4g×12', 1590]]],
  [
    'tianle',
    'biscuits',
    '苏打饼干',
    'Soda Crackers',
    [
      ['400g', 1290],
      ['100g', 450],
    ],
  ],
  [
    'tianle',
    'biscuits',
    '夹心饼干 巧克力味',
    'Chocolate Sandwich Cookies',
    [
      ['388g', 1490],
      ['97g', 450],
    ],
  ],
  [
    'tianle',
    'biscuits',
    '蛋黄派',
    'Egg Custard Pie',
    [
      ['184g', 1290],
      ['368g', 2290],
    ],
  ],
  ['tianle', 'biscuits', '全麦面包', 'Wholemeal Bread', [['400g', 1290]]],
  ['tianle', 'biscuits', '手撕面包', 'Hand-Torn Bread', [['500g', 1590]]],
  ['tianle', 'biscuits', '威化饼干', 'Wafer Biscuits', [['200g', 890]]],
  [
    'mianguan',
    'instant',
    '红烧牛肉面',
    'Braised Beef Noodles',
    [
      ['桶装 110g', 450],
      ['袋装 5连包', 1250],
    ],
  ],
  [
    'mianguan',
    'instant',
    '老坛酸菜牛肉面',
    'Pickled Cabbage Beef Noodles',
    [
      ['桶装 120g', 450],
      ['袋装 5连包', 1250],
    ],
  ],
  [
    'mianguan',
    'instant',
    '香辣牛肉面',
    'Spicy Beef Noodles',
    [
      ['桶装 110g', 450],
      ['袋装 5连包', 1250],
    ],
  ],
  [
    'mianguan',
    'instant',
    '鲜虾鱼板面',
    'Shrimp Fish Cake Noodles',
    [
      ['桶装 110g', 450],
      ['袋装 5连包', 1250],
    ],
  ],
  ['mianguan', 'instant', '自热米饭 咖喱牛肉', 'Self-Heating Rice Curry Beef', [['375g', 1990]]],
  [
    'mianguan',
    'instant',
    '火腿肠',
    'Ham Sausage',
    [
      ['30g×10', 990],
      ['60g×5', 1190],
    ],
  ],
  [
    'wuguxiang',
    'grain-oil',
    '东北大米',
    'Northeast Rice',
    [
      ['2.5kg', 3290],
      ['5kg', 5990],
      ['10kg', 10990],
    ],
    VAT.food,
  ],
  ['wuguxiang', 'grain-oil', '泰国香米', 'Thai Jasmine Rice', [['5kg', 7990]], VAT.food],
  [
    'wuguxiang',
    'grain-oil',
    '高筋小麦粉',
    'Bread Flour',
    [
      ['1kg', 990],
      ['5kg', 3990],
    ],
    VAT.food,
  ],
  ['wuguxiang', 'grain-oil', '挂面', 'Dried Noodles', [['1kg', 890]], VAT.food],
  [
    'wuguxiang',
    'grain-oil',
    '花生油 压榨一级',
    'Pressed Peanut Oil',
    [
      ['900ml', 3590],
      ['5L', 14990],
    ],
    VAT.food,
  ],
  [
    'wuguxiang',
    'grain-oil',
    '大豆油',
    'Soybean Oil',
    [
      ['1.8L', 2690],
      ['5L', 6990],
    ],
    VAT.food,
  ],
  [
    'wuguxiang',
    'grain-oil',
    '玉米油',
    'Corn Oil',
    [
      ['1.8L', 3290],
      ['5L', 7990],
    ],
    VAT.food,
  ],
  [
    'jiangyuan',
    'condiments',
    '生抽酱油',
    'Light Soy Sauce',
    [
      ['500ml', 990],
      ['1.28L', 1890],
    ],
  ],
  ['jiangyuan', 'condiments', '老抽酱油', 'Dark Soy Sauce', [['500ml', 1090]]],
  ['jiangyuan', 'condiments', '陈醋', 'Mature Vinegar', [['500ml', 890]]],
  ['jiangyuan', 'condiments', '蚝油', 'Oyster Sauce', [['510g', 1290]]],
  ['jiangyuan', 'condiments', '食用盐 加碘', 'Iodised Salt', [['400g', 300]]],
  ['jiangyuan', 'condiments', '白砂糖', 'White Sugar', [['454g', 690]]],
  ['jiangyuan', 'condiments', '郫县豆瓣酱', 'Pixian Bean Paste', [['500g', 1190]]],
  ['jiangyuan', 'condiments', '鸡精', 'Chicken Bouillon', [['200g', 990]]],
  [
    'beifang',
    'frozen',
    '猪肉白菜水饺',
    'Pork & Cabbage Dumplings',
    [
      ['500g', 1790],
      ['1kg', 2990],
    ],
  ],
  [
    'beifang',
    'frozen',
    '三鲜水饺',
    'Three-Delicacy Dumplings',
    [
      ['500g', 1990],
      ['1kg', 3390],
    ],
  ],
  ['beifang', 'frozen', '黑芝麻汤圆', 'Black Sesame Tangyuan', [['400g', 1390]]],
  ['beifang', 'frozen', '速冻手抓饼', 'Frozen Scallion Pancakes', [['900g', 2190]]],
  [
    'beifang',
    'frozen',
    '香草冰淇淋',
    'Vanilla Ice Cream',
    [
      ['75g', 590],
      ['400g', 2990],
    ],
  ],
  [
    'qingshuang',
    'personal-care',
    '洗发水 去屑',
    'Anti-Dandruff Shampoo',
    [
      ['400ml', 3990],
      ['750ml', 5990],
    ],
  ],
  ['qingshuang', 'personal-care', '护发素', 'Conditioner', [['400ml', 3990]]],
  [
    'qingshuang',
    'personal-care',
    '沐浴露 清香',
    'Body Wash Fresh',
    [
      ['750ml', 4590],
      ['1L', 5590],
    ],
  ],
  [
    'qingshuang',
    'personal-care',
    '牙膏 美白',
    'Whitening Toothpaste',
    [
      ['120g', 1590],
      ['180g', 2190],
    ],
  ],
  ['qingshuang', 'personal-care', '软毛牙刷', 'Soft Toothbrush', [['2支装', 1290]]],
  ['qingshuang', 'personal-care', '洗手液', 'Hand Wash', [['500ml', 1990]]],
  ['qingshuang', 'personal-care', '剃须刀片', 'Razor Blades', [['4片装', 4990]]],
  [
    'jiejing',
    'cleaning',
    '洗衣液',
    'Laundry Liquid',
    [
      ['2kg', 3990],
      ['3kg', 5490],
    ],
  ],
  ['jiejing', 'cleaning', '洗洁精', 'Dish Soap', [['1.29kg', 1490]]],
  ['jiejing', 'cleaning', '消毒液', 'Disinfectant', [['1kg', 1990]]],
  ['jiejing', 'cleaning', '垃圾袋 加厚', 'Heavy-Duty Bin Bags', [['50只', 1290]]],
  ['jiejing', 'cleaning', '保鲜膜', 'Cling Film', [['30m', 1590]]],
  [
    'rouruan',
    'paper',
    '抽纸 3层',
    'Facial Tissues 3-Ply',
    [
      ['100抽×6包', 1990],
      ['100抽×18包', 4990],
    ],
  ],
  [
    'rouruan',
    'paper',
    '卷纸 4层',
    'Toilet Roll 4-Ply',
    [
      ['10卷', 2990],
      ['27卷', 6990],
    ],
  ],
  ['rouruan', 'paper', '湿巾', 'Wet Wipes', [['80片', 990]]],
  ['rouruan', 'paper', '厨房用纸', 'Kitchen Towels', [['2卷', 1290]]],
  [
    'chaxiang',
    'tea-drinks',
    '大麦茶',
    'Roasted Barley Tea',
    [
      ['500ml', 400],
      ['1.25L', 690],
    ],
  ],
  [
    'guoyuan',
    'juice',
    '葡萄汁',
    'Grape Juice',
    [
      ['300ml', 690],
      ['1L', 1590],
    ],
  ],
  [
    'moka',
    'coffee',
    '咖啡豆 深度烘焙',
    'Coffee Beans Dark Roast',
    [
      ['250g', 5900],
      ['500g', 9900],
    ],
  ],
  [
    'caoyuan',
    'dairy',
    '燕麦奶',
    'Oat Milk',
    [
      ['250ml×6', 2990],
      ['1L', 1990],
    ],
    VAT.food,
  ],
  ['caoyuan', 'dairy', '黄油', 'Butter', [['200g', 2290]], VAT.food],
  ['xiaoxiong', 'snacks', '爆米花 焦糖', 'Caramel Popcorn', [['100g', 990]]],
  [
    'xiaoxiong',
    'snacks',
    '辣条',
    'Spicy Gluten Strips',
    [
      ['106g', 350],
      ['260g', 790],
    ],
  ],
  [
    'xiaoxiong',
    'snacks',
    '瓜子 五香',
    'Spiced Sunflower Seeds',
    [
      ['260g', 1090],
      ['500g', 1890],
    ],
  ],
  ['tianle', 'biscuits', '凤梨酥', 'Pineapple Cakes', [['300g', 3290]]],
  ['tianle', 'biscuits', '月饼 五仁', 'Five-Kernel Mooncake', [['100g', 890]]],
  ['mianguan', 'instant', '螺蛳粉', 'Luosifen Rice Noodles', [['335g', 1690]]],
  ['mianguan', 'instant', '午餐肉罐头', 'Luncheon Meat Can', [['340g', 1990]]],
  ['wuguxiang', 'grain-oil', '小米', 'Millet', [['1kg', 1590]], VAT.food],
  ['wuguxiang', 'grain-oil', '红豆', 'Red Beans', [['500g', 1190]], VAT.food],
  [
    'jiangyuan',
    'condiments',
    '火锅底料 麻辣',
    'Spicy Hotpot Base',
    [
      ['400g', 2490],
      ['150g', 990],
    ],
  ],
  ['jiangyuan', 'condiments', '芝麻油', 'Sesame Oil', [['220ml', 1490]]],
  ['beifang', 'frozen', '速冻虾仁', 'Frozen Peeled Shrimp', [['300g', 3990]]],
  ['qingshuang', 'personal-care', '洗面奶', 'Facial Cleanser', [['100g', 3590]]],
  ['jiejing', 'cleaning', '洗衣凝珠', 'Laundry Pods', [['30颗', 4590]]],
];

// Sold by weight: [category, zh, en, PLU, price per kg in fen]
const weighed: [string, string, string, string, number][] = [
  ['fruit', '红富士苹果', 'Fuji Apples', '10001', 1280],
  ['fruit', '香蕉', 'Bananas', '10002', 798],
  ['fruit', '赣南脐橙', 'Navel Oranges', '10003', 998],
  ['fruit', '库尔勒香梨', 'Korla Fragrant Pears', '10004', 1398],
  ['fruit', '阳光玫瑰葡萄', 'Shine Muscat Grapes', '10005', 3980],
  ['fruit', '海南芒果', 'Hainan Mangoes', '10006', 1980],
  ['fruit', '猕猴桃', 'Kiwifruit', '10007', 1598],
  ['fruit', '西瓜', 'Watermelon', '10008', 398],
  ['vegetables', '西红柿', 'Tomatoes', '20001', 698],
  ['vegetables', '黄瓜', 'Cucumbers', '20002', 598],
  ['vegetables', '土豆', 'Potatoes', '20003', 398],
  ['vegetables', '大白菜', 'Napa Cabbage', '20004', 298],
  ['vegetables', '西兰花', 'Broccoli', '20005', 998],
  ['vegetables', '胡萝卜', 'Carrots', '20006', 398],
  ['vegetables', '青椒', 'Green Peppers', '20007', 798],
  ['vegetables', '香菇', 'Shiitake Mushrooms', '20008', 1598],
  ['meat', '猪五花肉', 'Pork Belly', '30001', 3598],
  ['meat', '猪里脊', 'Pork Tenderloin', '30002', 3998],
  ['meat', '牛腱子', 'Beef Shank', '30003', 8998],
  ['meat', '鸡胸肉', 'Chicken Breast', '30004', 1998],
  ['meat', '鸡翅中', 'Chicken Mid-Wings', '30005', 4598],
];

// What one labelled pack of a weighed item may plausibly weigh, and how old its pack date may be
const labelRules: Record<string, { weightG: { min: number; max: number }; maxAgeDays: number }> = {
  fruit: { weightG: { min: 50, max: 12_000 }, maxAgeDays: 7 },
  vegetables: { weightG: { min: 20, max: 8_000 }, maxAgeDays: 5 },
  meat: { weightG: { min: 50, max: 5_000 }, maxAgeDays: 3 },
};

const taxByCategory = (cat: string): number =>
  ['dairy', 'grain-oil', 'fruit', 'vegetables', 'meat'].includes(cat) ? VAT.food : VAT.general;

function build() {
  const brandPrefix = new Map(brands.map(([id, , , prefix]) => [id, prefix]));
  const nextItem = new Map<string, number>();
  const products: Record<string, unknown>[] = [];
  for (const [brand, category, zh, en, variants, tax, minAge] of lines) {
    const brandZh = brands.find((b) => b[0] === brand)![1];
    const brandEn = brands.find((b) => b[0] === brand)![2];
    for (const [size, priceFen] of variants) {
      const item = (nextItem.get(brand) ?? 100) + 1;
      nextItem.set(brand, item);
      const gtin = withCheckDigit(`${brandPrefix.get(brand)}${String(item).padStart(5, '0')}`);
      const product: Record<string, unknown> = {
        gtin,
        name: { zh: `${brandZh} ${zh} ${size}`, en: `${brandEn} ${en} ${size}` },
        category,
        brand,
        size,
        taxRateBp: tax ?? taxByCategory(category),
        priceFen,
      };
      if (minAge) product.minAge = minAge;
      // multipacks of drinks also carry a case code (ITF-14 / GTIN-14, indicator 1)
      if (/×(12|15|24)$/.test(size))
        product.barcodes = [{ gtin: withCheckDigit(`1${gtin.slice(0, 12)}`), packQty: 1 }];
      products.push(product);
    }
  }
  for (const [category, zh, en, plu, perKg] of weighed) {
    products.push({
      // in-store GTIN for the item; scales print prefix-20 weight codes carrying the PLU
      gtin: withCheckDigit(`20${plu}00000`),
      name: { zh: `${zh} (称重)`, en: `${en} (by weight)` },
      category,
      soldBy: 'weight',
      plu,
      label: labelRules[category],
      taxRateBp: taxByCategory(category),
      priceFen: perKg,
    });
  }
  const byName = (en: string) => products.find((p) => (p.name as Name).en.includes(en))!.gtin as string;
  const promotions = [
    {
      id: 'tea-2nd-half',
      name: { zh: '茶饮料第二件半价', en: 'Tea drinks: second one half price' },
      scope: { categories: ['tea-drinks'] },
      benefit: { type: 'buy_x_get_y', buy: 1, get: 1, getPercentOff: 50 },
      priority: 10,
    },
    {
      id: 'snacks-50-10',
      name: { zh: '休闲零食满50减10', en: 'Snacks: ¥10 off every ¥50' },
      scope: { categories: ['snacks'] },
      benefit: { type: 'spend_threshold', thresholdFen: 5000, amountOffFen: 1000, repeat: true },
      priority: 50,
    },
    {
      id: 'dairy-member-10pct',
      name: { zh: '会员乳制品9折', en: 'Members: 10% off dairy' },
      scope: { categories: ['dairy'] },
      benefit: { type: 'percent_off', percent: 10 },
      memberOnly: true,
      priority: 20,
    },
    {
      id: 'noodles-3-for-12',
      name: { zh: '桶装面任选3桶12元', en: 'Any 3 cup noodles for ¥12' },
      scope: {
        gtins: products.filter((p) => String(p.size).startsWith('桶装')).map((p) => p.gtin as string),
      },
      benefit: { type: 'bundle', qty: 3, priceFen: 1200 },
      priority: 10,
      exclusive: true,
    },
    {
      id: 'peanut-oil-week',
      name: { zh: '花生油5L特价', en: 'Peanut oil 5L special price' },
      scope: { gtins: [byName('Pressed Peanut Oil 5L')] },
      benefit: { type: 'fixed_price', priceFen: 12990 },
      priority: 5,
      exclusive: true,
    },
    {
      id: 'latte-2-off',
      name: { zh: '拿铁立减2元', en: 'Latte ¥2 off' },
      scope: { gtins: [byName('Ready-to-Drink Latte 268ml')] },
      benefit: { type: 'amount_off', amountFen: 200 },
      priority: 30,
    },
    {
      id: 'evening-bread',
      name: { zh: '晚间面包8折', en: 'Evening bread 20% off' },
      scope: { gtins: [byName('Wholemeal Bread'), byName('Hand-Torn Bread')] },
      benefit: { type: 'percent_off', percent: 20 },
      window: { hours: { from: '19:00', to: '22:00' } },
      priority: 40,
    },
  ];
  const couponCampaigns = [
    {
      id: 'welcome-5',
      name: { zh: '新会员满30减5', en: 'Welcome: ¥5 off ¥30' },
      benefit: { type: 'amount_off', amountFen: 500 },
      minSpendFen: 3000,
      issuance: { trigger: 'claim' },
      validDaysAfterIssue: 30,
      totalQuota: 5000,
    },
    {
      id: 'dairy-repurchase',
      name: { zh: '乳制品回购券 满20减3', en: 'Dairy again: ¥3 off ¥20' },
      benefit: { type: 'amount_off', amountFen: 300 },
      scope: { categories: ['dairy'] },
      minSpendFen: 2000,
      issuance: { trigger: 'after_purchase', boughtScope: { categories: ['dairy'] }, minSpendFen: 1000 },
      validDaysAfterIssue: 14,
    },
    {
      id: 'qingshuang-10pct',
      name: { zh: '清爽个护9折券', en: 'Qingshuang personal care 10% off' },
      benefit: { type: 'percent_off', percent: 10, maxDiscountFen: 1000 },
      scope: { brands: ['qingshuang'] },
      issuance: { trigger: 'claim' },
      validDaysAfterIssue: 30,
      perMemberLimit: 2,
      totalQuota: 1000,
      // store guides may hand it to a shopper they serve (recommendations)
      byGuides: true,
    },
    {
      id: 'fresh-40-5',
      name: { zh: '生鲜满40减5', en: 'Fresh: ¥5 off ¥40' },
      benefit: { type: 'amount_off', amountFen: 500 },
      scope: { categories: ['fruit', 'vegetables', 'meat'] },
      minSpendFen: 4000,
      issuance: {
        trigger: 'after_purchase',
        boughtScope: { categories: ['fruit', 'vegetables', 'meat'] },
        minSpendFen: 3000,
      },
      validDaysAfterIssue: 7,
    },
  ];
  return {
    catalog: {
      version: 1,
      categories,
      brands: brands.map(([id, zh, en]) => ({ id, name: { zh, en } })),
      products,
    },
    promotions: { version: 1, promotions },
    couponCampaigns: { version: 1, campaigns: couponCampaigns },
  };
}

export function demoSeed() {
  return build();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(build(), null, 1)}\n`);
}
