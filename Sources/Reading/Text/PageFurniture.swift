import Foundation
import Transformer

/// Recognizes whole lines that are web-page chrome rather than article text: forum navigation and login
/// prompts, view/reply counts, sharing buttons, footers, image file names and image placeholders.
/// Lines are judged after junk removal and space normalization; long lines are never furniture.
enum PageFurniture {
    /// Words that make up navigation, login, sharing and footer lines (simplified and traditional).
    static let vocabulary: Set<String> = [
        "找回密码", "找回密碼", "我要注册", "我要註冊", "立即注册", "立即註冊", "注册", "註冊", "登录", "登錄", "QQ登录", "QQ登錄",
        "微信登录", "微信登錄", "只需一步", "快速开始", "快速開始", "复制链接", "複製鏈接", "复制本页链接", "快速回复", "快速回復",
        "返回顶部", "返回頂部", "返回列表", "本版积分规则", "本版積分規則", "手机版", "手機版", "小黑屋", "Archiver",
        "显示全部楼层", "顯示全部樓層", "阅读模式", "閱讀模式", "只看该作者", "只看該作者", "倒序浏览", "倒序瀏覽", "打印",
        "上一主题", "下一主题", "上一篇", "下一篇", "分享到", "分享至", "分享", "收藏", "举报", "舉報", "点赞", "點贊", "使用道具",
        "微信扫一扫", "微信掃一掃", "扫一扫", "掃一掃", "查看", "回复", "回復", "阅读", "閱讀", "浏览", "瀏覽", "评论", "評論",
        "发表于", "發表於", "楼主", "樓主", "沙发", "沙發", "板凳", "地板", "电梯直达", "電梯直達", "您需要登录后才可以回帖",
        "您需要登錄後才可以回帖", "收藏本版", "阅读原文", "閱讀原文", "微博", "QQ空间", "QQ空間", "朋友圈", "新浪微博",
        "腾讯微博", "赞", "贊", "下载附件", "下載附件", "保存到相册", "GMT+8", "GMT+08:00",
    ]

    static let imagePlaceholders: Set<String> = ["【資料圖】", "【资料图】", "[图片]", "[圖片]", "【图片】", "【圖片】", "[image]", "[Image]"]

    static let imageExtensions = [".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp"]

    static func isFurniture(_ line: [Unicode.Scalar]) -> Bool {
        guard line.count <= 100 else { return false }
        let text = String(String.UnicodeScalarView(line))
        if imagePlaceholders.contains(text) { return true }
        if isImageFileLine(text) { return true }
        if isFooter(text) { return true }
        if isImageCredit(text) { return true }
        return consistsOfFurnitureWords(text)
    }

    /// "202387113047070.jpg", possibly followed by an attachment note ("(45 KB, 下载次数: 0)").
    private static func isImageFileLine(_ text: String) -> Bool {
        let words = text.split(separator: " ")
        guard let first = words.first?.lowercased(), !first.contains("/"),
              imageExtensions.contains(where: { first.hasSuffix($0) && first.count > $0.count }) else { return false }
        return words.count == 1 || text.contains("下载") || text.contains("下載") || text.contains("KB")
    }

    /// An image caption or credit line: "▲ 圖源日本Rinna官網", "圖源網絡", "图片来源：视觉中国".
    private static func isImageCredit(_ text: String) -> Bool {
        guard text.count <= 60 else { return false }
        let body = text.drop { $0 == "▲" || $0 == "△" || $0 == " " }
        return ["圖源", "图源", "图片来源", "圖片來源"].contains { body.hasPrefix($0) }
    }

    /// "Powered by Discuz!", "粤ICP备12078725号", "© 2024 …", "产品邦 2012-2024".
    private static func isFooter(_ text: String) -> Bool {
        if text.count <= 60, text.lowercased().hasPrefix("powered by ") { return true }
        if text.count <= 80, text.contains("ICP备") || text.contains("ICP證") || text.contains("ICP证") || text.contains("公网安备") { return true }
        if text.count <= 60, text.hasPrefix("©") || text.lowercased().hasPrefix("copyright ") { return true }
        // A site name and a year range, nothing else.
        let words = text.split(separator: " ")
        if words.count == 2, words[0].count <= 12, isYearRange(words[1]) { return true }
        return false
    }

    private static func isYearRange(_ word: Substring) -> Bool {
        let parts = word.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        return parts.allSatisfy { $0.count == 4 && ($0.hasPrefix("19") || $0.hasPrefix("20")) && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }

    /// Every word is a furniture word, a count, a date or a time, and at least one is a furniture word:
    /// "查看: 516|回复: 0", "发表于 2023-8-8 09:07 | 显示全部楼层 |阅读模式", "[复制链接]", "GMT+8, 2024-12-18 23:04".
    private static func consistsOfFurnitureWords(_ text: String) -> Bool {
        let separators: Set<Character> = [" ", "|", "｜", ",", "，", "·", "/"]
        let words = text.split(whereSeparator: { separators.contains($0) })
        var furnitureWords = 0
        for rawWord in words {
            var word = Substring(rawWord)
            while let first = word.first, "[【(（".contains(first) { word = word.dropFirst() }
            while let last = word.last, "]】)）:：".contains(last) { word = word.dropLast() }
            if word.isEmpty { continue }
            if vocabulary.contains(String(word)) {
                furnitureWords += 1
            } else if !word.allSatisfy({ $0.isASCII && ($0.isNumber || "-:.+".contains($0)) }) {
                return false
            }
        }
        return furnitureWords > 0
    }
}
