// A small JSON value, parser and writer for the fake's control channel (UTF-8 text, one value per line).
#pragma once

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace json {

struct Value {
  enum class Type { Null, Bool, Number, String, Array, Object };
  Type type = Type::Null;
  bool b = false;
  double n = 0;
  std::string s;
  std::vector<Value> items;
  std::vector<std::pair<std::string, Value>> members;

  static Value Str(std::string v) { Value x; x.type = Type::String; x.s = std::move(v); return x; }
  static Value Num(double v) { Value x; x.type = Type::Number; x.n = v; return x; }
  static Value Bool(bool v) { Value x; x.type = Type::Bool; x.b = v; return x; }
  static Value Arr() { Value x; x.type = Type::Array; return x; }
  static Value Obj() { Value x; x.type = Type::Object; return x; }

  bool IsNull() const { return type == Type::Null; }
  const Value* Get(const std::string& key) const {
    for (const auto& m : members) if (m.first == key) return &m.second;
    return nullptr;
  }
  Value& Set(const std::string& key, Value v) {
    for (auto& m : members) if (m.first == key) { m.second = std::move(v); return m.second; }
    members.emplace_back(key, std::move(v));
    return members.back().second;
  }
  void Push(Value v) { items.push_back(std::move(v)); }
};

class Parser {
 public:
  explicit Parser(const std::string& text) : t_(text) {}
  bool Parse(Value* out) {
    Ws();
    if (!ParseValue(out, 0)) return false;
    Ws();
    return i_ == t_.size();
  }

 private:
  void Ws() { while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\r' || t_[i_] == '\n')) ++i_; }
  bool Lit(const char* w) {
    size_t k = 0;
    while (w[k]) { if (i_ + k >= t_.size() || t_[i_ + k] != w[k]) return false; ++k; }
    i_ += k;
    return true;
  }
  bool ParseValue(Value* v, int depth) {
    if (depth > 64 || i_ >= t_.size()) return false;
    char c = t_[i_];
    if (c == '{') return ParseObject(v, depth);
    if (c == '[') return ParseArray(v, depth);
    if (c == '"') { v->type = Value::Type::String; return ParseString(&v->s); }
    if (Lit("true")) { *v = Value::Bool(true); return true; }
    if (Lit("false")) { *v = Value::Bool(false); return true; }
    if (Lit("null")) { *v = Value(); return true; }
    return ParseNumber(v);
  }
  bool ParseNumber(Value* v) {
    size_t start = i_;
    while (i_ < t_.size() && (std::isdigit(static_cast<unsigned char>(t_[i_])) || t_[i_] == '-' || t_[i_] == '+' ||
                              t_[i_] == '.' || t_[i_] == 'e' || t_[i_] == 'E')) ++i_;
    if (start == i_) return false;
    std::string num = t_.substr(start, i_ - start);
    char* end = nullptr;
    double d = std::strtod(num.c_str(), &end);
    if (!end || *end) return false;
    *v = Value::Num(d);
    return true;
  }
  static void Utf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) out->push_back(static_cast<char>(cp));
    else if (cp < 0x800) { out->push_back(static_cast<char>(0xC0 | (cp >> 6))); out->push_back(static_cast<char>(0x80 | (cp & 0x3F))); }
    else if (cp < 0x10000) { out->push_back(static_cast<char>(0xE0 | (cp >> 12))); out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F))); out->push_back(static_cast<char>(0x80 | (cp & 0x3F))); }
    else { out->push_back(static_cast<char>(0xF0 | (cp >> 18))); out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F))); out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F))); out->push_back(static_cast<char>(0x80 | (cp & 0x3F))); }
  }
  bool Hex4(uint32_t* cp) {
    if (i_ + 4 > t_.size()) return false;
    *cp = 0;
    for (int k = 0; k < 4; ++k) {
      char h = t_[i_++];
      *cp <<= 4;
      if (h >= '0' && h <= '9') *cp |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') *cp |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') *cp |= static_cast<uint32_t>(h - 'A' + 10);
      else return false;
    }
    return true;
  }
  bool ParseString(std::string* out) {
    ++i_;  // opening quote
    while (i_ < t_.size()) {
      char c = t_[i_++];
      if (c == '"') return true;
      if (c != '\\') { out->push_back(c); continue; }
      if (i_ >= t_.size()) return false;
      char e = t_[i_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && i_ + 6 <= t_.size() && t_[i_] == '\\' && t_[i_ + 1] == 'u') {
            i_ += 2;
            uint32_t lo = 0;
            if (!Hex4(&lo)) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          Utf8(cp, out);
          break;
        }
        default: return false;
      }
    }
    return false;
  }
  bool ParseArray(Value* v, int depth) {
    *v = Value::Arr();
    ++i_;
    Ws();
    if (i_ < t_.size() && t_[i_] == ']') { ++i_; return true; }
    for (;;) {
      Value item;
      Ws();
      if (!ParseValue(&item, depth + 1)) return false;
      v->Push(std::move(item));
      Ws();
      if (i_ >= t_.size()) return false;
      if (t_[i_] == ',') { ++i_; continue; }
      if (t_[i_] == ']') { ++i_; return true; }
      return false;
    }
  }
  bool ParseObject(Value* v, int depth) {
    *v = Value::Obj();
    ++i_;
    Ws();
    if (i_ < t_.size() && t_[i_] == '}') { ++i_; return true; }
    for (;;) {
      Ws();
      if (i_ >= t_.size() || t_[i_] != '"') return false;
      std::string key;
      if (!ParseString(&key)) return false;
      Ws();
      if (i_ >= t_.size() || t_[i_] != ':') return false;
      ++i_;
      Ws();
      Value item;
      if (!ParseValue(&item, depth + 1)) return false;
      v->members.emplace_back(std::move(key), std::move(item));
      Ws();
      if (i_ >= t_.size()) return false;
      if (t_[i_] == ',') { ++i_; continue; }
      if (t_[i_] == '}') { ++i_; return true; }
      return false;
    }
  }

  const std::string& t_;
  size_t i_ = 0;
};

inline void WriteString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          *out += buf;
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

inline void Write(const Value& v, std::string* out) {
  switch (v.type) {
    case Value::Type::Null: *out += "null"; break;
    case Value::Type::Bool: *out += v.b ? "true" : "false"; break;
    case Value::Type::Number: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v.n);
      *out += buf;
      break;
    }
    case Value::Type::String: WriteString(v.s, out); break;
    case Value::Type::Array:
      out->push_back('[');
      for (size_t k = 0; k < v.items.size(); ++k) { if (k) out->push_back(','); Write(v.items[k], out); }
      out->push_back(']');
      break;
    case Value::Type::Object:
      out->push_back('{');
      for (size_t k = 0; k < v.members.size(); ++k) {
        if (k) out->push_back(',');
        WriteString(v.members[k].first, out);
        out->push_back(':');
        Write(v.members[k].second, out);
      }
      out->push_back('}');
      break;
  }
}

}  // namespace json
