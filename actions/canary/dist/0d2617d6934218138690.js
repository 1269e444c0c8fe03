module.exports = eval("require")("../../k6/budget.json");
