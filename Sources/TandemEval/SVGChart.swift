import Foundation

/// Small self-contained SVG charts (no scripts, no external fonts or styles).
public enum SVGChart {
    public struct Point: Sendable {
        public var x: Double
        public var y: Double
        public var label: String
        public var series: String
        public init(x: Double, y: Double, label: String, series: String) {
            self.x = x
            self.y = y
            self.label = label
            self.series = series
        }
    }

    public struct Line: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    static let width = 640.0, height = 420.0
    static let left = 70.0, right = 170.0, top = 40.0, bottom = 60.0

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Round tick values covering lo...hi.
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        let span = max(hi - lo, 1e-12)
        let raw = span / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var values: [Double] = []
        var v = ceil(lo / step) * step
        while v <= hi + step * 1e-9 { values.append(v); v += step }
        return values
    }

    static func tickLabel(_ v: Double) -> String {
        if v == 0 { return "0" }
        if abs(v) >= 100 { return String(format: "%.0f", v) }
        if abs(v) >= 1 { return String(format: "%g", (v * 100).rounded() / 100) }
        return String(format: "%g", (v * 10000).rounded() / 10000)
    }

    struct Frame {
        var xLo: Double, xHi: Double, yLo: Double, yHi: Double
        var logX = false
        func px(_ x: Double) -> Double {
            let (a, b, v) = logX ? (log10(xLo), log10(xHi), log10(max(x, xLo))) : (xLo, xHi, x)
            return SVGChart.left + (v - a) / max(b - a, 1e-12) * (SVGChart.width - SVGChart.left - SVGChart.right)
        }
        func py(_ y: Double) -> Double {
            SVGChart.height - SVGChart.bottom - (y - yLo) / max(yHi - yLo, 1e-12) * (SVGChart.height - SVGChart.top - SVGChart.bottom)
        }
    }

    static func axes(_ frame: Frame, title: String, xLabel: String, yLabel: String) -> String {
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(f(width / 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(escape(title))</text>\n"
        let x0 = left, x1 = width - right, y0 = height - bottom, y1 = top
        s += "<rect x=\"\(f(x0))\" y=\"\(f(y1))\" width=\"\(f(x1 - x0))\" height=\"\(f(y0 - y1))\" fill=\"none\" stroke=\"#333\"/>\n"
        let xTicks: [Double]
        if frame.logX {
            xTicks = stride(from: floor(log10(frame.xLo)), through: ceil(log10(frame.xHi)), by: 1).map { pow(10, $0) }
                .filter { $0 >= frame.xLo * 0.999 && $0 <= frame.xHi * 1.001 }
        } else {
            xTicks = ticks(frame.xLo, frame.xHi)
        }
        for t in xTicks {
            let x = frame.px(t)
            s += "<line x1=\"\(f(x))\" y1=\"\(f(y0))\" x2=\"\(f(x))\" y2=\"\(f(y1))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(f(x))\" y=\"\(f(y0 + 16))\" text-anchor=\"middle\">\(tickLabel(t))</text>\n"
        }
        for t in ticks(frame.yLo, frame.yHi) {
            let y = frame.py(t)
            s += "<line x1=\"\(f(x0))\" y1=\"\(f(y))\" x2=\"\(f(x1))\" y2=\"\(f(y))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(f(x0 - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(tickLabel(t))</text>\n"
        }
        s += "<text x=\"\(f((x0 + x1) / 2))\" y=\"\(f(height - 18))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        s += "<text x=\"18\" y=\"\(f((y0 + y1) / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(f((y0 + y1) / 2)))\">\(escape(yLabel))</text>\n"
        return s
    }

    static func legend(_ names: [String], extra: [(String, String)] = []) -> String {
        var s = ""
        for (i, name) in names.enumerated() {
            let y = top + 10 + Double(i) * 18
            s += "<circle cx=\"\(f(width - right + 18))\" cy=\"\(f(y))\" r=\"5\" fill=\"\(palette[i % palette.count])\"/>"
            s += "<text x=\"\(f(width - right + 28))\" y=\"\(f(y + 4))\">\(escape(name))</text>\n"
        }
        for (j, (style, name)) in extra.enumerated() {
            let y = top + 10 + Double(names.count + j) * 18
            s += "<line x1=\"\(f(width - right + 10))\" y1=\"\(f(y))\" x2=\"\(f(width - right + 26))\" y2=\"\(f(y))\" \(style)/>"
            s += "<text x=\"\(f(width - right + 30))\" y=\"\(f(y + 4))\">\(escape(name))</text>\n"
        }
        return s
    }

    /// Scatter of labelled points coloured by series; with `front`, the indices of the
    /// Pareto-optimal points are joined by a dashed line and ringed.
    public static func scatter(title: String, xLabel: String, yLabel: String, points: [Point], front: [Int] = [],
                               yRange: ClosedRange<Double>? = nil) -> String {
        let xs = points.map(\.x), ys = points.map(\.y)
        let xHi = max(xs.max() ?? 1, 1e-9) * 1.1
        let frame = Frame(xLo: 0, xHi: xHi, yLo: yRange?.lowerBound ?? 0, yHi: yRange?.upperBound ?? max(ys.max() ?? 1, 1e-9) * 1.1)
        var series: [String] = []
        for p in points where !series.contains(p.series) { series.append(p.series) }
        var s = axes(frame, title: title, xLabel: xLabel, yLabel: yLabel)
        if front.count > 1 {
            let path = front.map { "\(f(frame.px(points[$0].x))),\(f(frame.py(points[$0].y)))" }.joined(separator: " ")
            s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"#555\" stroke-dasharray=\"5,4\"/>\n"
        }
        for i in front {
            s += "<circle cx=\"\(f(frame.px(points[i].x)))\" cy=\"\(f(frame.py(points[i].y)))\" r=\"9\" fill=\"none\" stroke=\"#555\"/>\n"
        }
        for p in points {
            let color = palette[(series.firstIndex(of: p.series) ?? 0) % palette.count]
            let x = frame.px(p.x), y = frame.py(p.y)
            s += "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"5\" fill=\"\(color)\"><title>\(escape(p.label))</title></circle>"
            s += "<text x=\"\(f(x + 8))\" y=\"\(f(y - 6))\" font-size=\"10\" fill=\"#444\">\(escape(p.label))</text>\n"
        }
        s += legend(series, extra: front.isEmpty ? [] : [("stroke=\"#555\" stroke-dasharray=\"5,4\"", "Pareto front")])
        return s + "</svg>\n"
    }

    /// Empirical cumulative distribution per line over a logarithmic x axis.
    public static func cdf(title: String, xLabel: String, samples: [(name: String, values: [Double])]) -> String {
        let all = samples.flatMap(\.values).filter { $0 > 0 }
        let lo = pow(10, floor(log10(max(all.min() ?? 1, 0.01))))
        let hi = pow(10, ceil(log10(max(all.max() ?? 10, lo * 10))))
        let frame = Frame(xLo: lo, xHi: hi, yLo: 0, yHi: 1, logX: true)
        var s = axes(frame, title: title, xLabel: xLabel, yLabel: "share of tokens at or below")
        for (i, line) in samples.enumerated() {
            let sorted = line.values.map { max($0, lo) }.sorted()
            guard !sorted.isEmpty else { continue }
            // At most ~400 vertices: sample the sorted values evenly.
            let stride = max(1, sorted.count / 400)
            var path: [String] = []
            var k = 0
            while k < sorted.count {
                path.append("\(f(frame.px(sorted[k]))),\(f(frame.py(Double(k + 1) / Double(sorted.count))))")
                k += stride
            }
            path.append("\(f(frame.px(sorted.last!))),\(f(frame.py(1)))")
            s += "<polyline points=\"\(path.joined(separator: " "))\" fill=\"none\" stroke=\"\(palette[i % palette.count])\" stroke-width=\"2\"/>\n"
        }
        s += legend(samples.map(\.name))
        return s + "</svg>\n"
    }
}
