import Transformer
/// Companies and products that technology and business news names most, each with its other names.
///
/// Chinese text does not mark where a name starts, so a plain Han name (微软, 亚马逊) cannot be told from
/// other words the way a capitalized Latin word can. Yet swapping one company for another is the error a
/// small model makes most (a point that puts 亚马逊 where its sentence says 微软; `CitationSupportTests`). This list lets the
/// citation check see those names. Each entity's names are in simplified characters, lowercased (how
/// `Specifics.comparable` writes text); a sentence with any of an entity's names supports a claim naming it.
/// Names that are also ordinary words or hide in them (高通胀 holds 高通, 北京东部 holds 京东, 联想 is "think
/// of", 百川, 现代) are left out.
enum KnownNames {
    static let entities: [[String]] = [
        ["谷歌", "google", "alphabet"],
        ["微软", "microsoft"],
        ["亚马逊", "amazon"],
        ["苹果", "apple"],
        ["脸书", "facebook", "meta"],
        ["英伟达", "辉达", "nvidia"],
        ["英特尔", "intel"],
        ["特斯拉", "tesla"],
        ["推特", "twitter"],
        ["三星", "samsung"],
        ["索尼", "sony"],
        ["软银", "softbank"],
        ["丰田", "toyota"],
        ["阿里巴巴", "阿里云", "阿里", "alibaba"],
        ["腾讯", "tencent"],
        ["百度", "baidu"],
        ["字节跳动", "字节", "bytedance"],
        ["华为", "huawei"],
        ["小米", "xiaomi"],
        ["美团", "meituan"],
        ["网易", "netease"],
        ["拼多多"],
        ["商汤", "sensetime"],
        ["科大讯飞", "讯飞", "iflytek"],
        ["智谱"],
        ["月之暗面"],
        ["比亚迪", "byd"],
        ["必应", "bing"],
        ["通义千问", "通义"],
        ["文心一言", "文心", "ernie"],
        ["微信", "wechat"],
        ["钉钉"],
        ["抖音", "tiktok"],
        ["淘宝"],
        ["支付宝", "alipay"],
    ]

    /// For each name of an entity, the entity's names.
    static let namesOfEntity: [String: [String]] = {
        var table: [String: [String]] = [:]
        for names in entities { for name in names { table[name] = names } }
        return table
    }()

    /// The Han names of the entities `comparableText` mentions, one per entity: its longest name found.
    static func hanNames(in comparableText: String) -> [String] {
        entities.compactMap { names in
            names.filter { $0.unicodeScalars.contains(where: \.properties.isIdeographic) && comparableText.contains($0) }
                .max { $0.count < $1.count }
        }
    }

    /// Whether `comparableText` holds `name` (comparable form) or another name of its entity.
    static func mentions(_ name: String, in comparableText: String) -> Bool {
        (namesOfEntity[name] ?? [name]).contains { comparableText.contains($0) }
    }
}
